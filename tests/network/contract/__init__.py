"""The adapter contract: one suite every adapter must pass (see `harness` for how to add one)."""
