"""Built-in harnesses, one module per adapter; each registers itself with `@harness(name)`."""
