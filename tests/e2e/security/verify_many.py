"""`python -m tests.e2e.security.verify_many CONFIG NAME...`: `xensocial --debug channels verify
NAME` for each channel, one after another in this one process, as the console script runs it.

The leak test starts one such process per network, instead of one per channel: a network's
client library costs seconds to import (atproto most), and the commands are the same. Prints a
JSON array: each channel's exit code, stdout and stderr.
"""

from __future__ import annotations

import contextlib
import io
import json
import sys

from xensocial.cli import App, invoke


def main(config: str, names: list[str]) -> None:
    results = []
    for name in names:
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = invoke(["--config", config, "--debug", "channels", "verify", name], App())
        results.append(
            {"channel": name, "code": code, "stdout": out.getvalue(), "stderr": err.getvalue()}
        )
    json.dump(results, sys.__stdout__)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:])
