"""The queue's vocabulary (`content_queue.vocabulary`: states, sources, outcomes) and its sizes
(`content_queue.limits`) are written once, for the ORM and the plain DB-API path alike; that
only works while importing them costs no SQLAlchemy, which the plain path exists to avoid.

Measured in a fresh interpreter (`sys.modules` at the end), so an import anywhere beneath them
fails the test, however the modules of this test run were loaded before.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from content_queue import schema, vocabulary

_PROBE = """
import importlib, sys
importlib.import_module(sys.argv[1])
print(",".join(sorted(m for m in sys.modules if m.split(".")[0] in ("sqlalchemy", "psycopg"))))
"""


@pytest.mark.parametrize(
    "module",
    [
        "content_queue.vocabulary",
        "content_queue.limits",
        "content_queue.interfaces",
        "content_queue.errors",
        "content_queue.fastread",
        "content_queue.fastwrite",
    ],
)
def test_the_words_and_the_plain_path_import_no_sqlalchemy(module: str) -> None:
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, module],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert done.stdout.strip() == "", f"{module} imported {done.stdout.strip()}"


def test_the_probe_sees_sqlalchemy_when_it_is_imported() -> None:
    # The same probe on a module that does import SQLAlchemy: the test above can fail.
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, "content_queue.schema"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert "sqlalchemy" in done.stdout.split(",")


def test_the_schema_stores_the_vocabularys_words() -> None:
    # One definition, not an equal copy: the ORM's enums are the vocabulary's own classes.
    assert schema.ItemState is vocabulary.ItemState
    assert schema.DeliveryState is vocabulary.DeliveryState
    assert schema.ItemSource is vocabulary.ItemSource
    assert schema.SlotOutcome is vocabulary.SlotOutcome
