"""The benchmark suite works: `bench/run --quick` runs every registered benchmark, each one
reports figures in the contract's shape (`bench/_figures.py`), and the runner's options, table
and exit codes behave as docs/benchmarks.md says.

This is the suite's check, not a benchmark: no figure is compared with its target here (a busy
CI machine would make that flaky; benchmarks measure, they do not pass or fail on speed). What
fails it is a benchmark that crashes, reports nothing, or reports malformed figures, and, under
`CI=true`, a run without PostgreSQL figures. The quick suite runs ONCE for the module (about
two minutes on 2 cores); the other checks reuse its output or run the runner on one script.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest

from tests.paths import ROOT

BENCH = ROOT / "bench"
RUN = BENCH / "run"
FIELDS = {"benchmark", "figure", "value", "unit", "backend", "target", "holds", "note", "scale"}

pytestmark = pytest.mark.bench

sys.path.insert(0, str(BENCH))
import suite  # noqa: E402  (bench/suite.py: the runner's code, tested directly below)


def run(*argv: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(RUN), *argv], cwd=ROOT, capture_output=True, text=True, timeout=timeout
    )


@pytest.fixture(scope="module")
def quick(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """`bench/run --quick --json`, once: its exit code, its JSON document and its stderr."""
    folder = tmp_path_factory.mktemp("bench")
    saved = folder / "run.json"
    result = run(
        "--quick", "--json", "--logs", str(folder / "logs"), "--save", str(saved), timeout=1500
    )
    try:
        document = json.loads(result.stdout)
    except json.JSONDecodeError:
        pytest.fail(
            f"bench/run --json printed no JSON:\n{result.stdout[-2000:]}\n{result.stderr[-3000:]}"
        )
    yield {
        "returncode": result.returncode,
        "doc": document,
        "stderr": result.stderr,
        "saved": saved,
    }


def registered() -> list[str]:
    result = run("--list")
    assert result.returncode == 0, result.stderr
    return [line.split()[0] for line in result.stdout.splitlines() if line.strip()]


def failures_of(quick: dict[str, Any]) -> str:
    return "\n".join(
        f"{f['benchmark']}: {f['problem']} (log {f['log']})\n    " + "\n    ".join(f["tail"])
        for f in quick["doc"]["failures"]
    )


# -- the quick suite ------------------------------------------------------------------------


def test_every_registered_benchmark_runs_and_reports_figures(quick: dict[str, Any]) -> None:
    assert quick["returncode"] == 0, failures_of(quick) + "\n" + quick["stderr"][-2000:]
    assert quick["doc"]["failures"] == []
    names = registered()
    assert [b["name"] for b in quick["doc"]["benchmarks"]] == names
    for benchmark in quick["doc"]["benchmarks"]:
        assert benchmark["status"] == "ok" and benchmark["figures"] >= 1, benchmark
    reported = {f["benchmark"] for f in quick["doc"]["figures"]}
    assert reported == set(names), "every figure names the script that measured it"


def test_every_figure_has_the_documented_fields(quick: dict[str, Any]) -> None:
    for f in quick["doc"]["figures"]:
        assert set(f) == FIELDS, f
        assert f["benchmark"] and f["figure"] and isinstance(f["unit"], str), f
        assert f["value"] is None or (
            isinstance(f["value"], int | float) and not isinstance(f["value"], bool)
        ), f
        assert f["backend"] in {"sqlite", "postgresql", "-"}, f
        assert isinstance(f["note"], str) and isinstance(f["target"], str), f
        if f["target"]:  # a target says whether it holds, unless nothing could be measured
            assert isinstance(f["holds"], bool) or f["value"] is None, f
        else:  # context and growth figures have no verdict
            assert f["holds"] is None, f
        if f["scale"] is not None:
            assert f["scale"] and all(
                isinstance(k, str) and isinstance(v, int) for k, v in f["scale"].items()
            ), f
    names = [
        (f["benchmark"], f["backend"], f["figure"], json.dumps(f["scale"]))
        for f in quick["doc"]["figures"]
    ]
    assert len(names) == len(set(names)), "a figure is reported twice"


def test_the_run_describes_the_machine(quick: dict[str, Any]) -> None:
    machine = quick["doc"]["machine"]
    for key in (
        "date",
        "python",
        "cores",
        "cpu",
        "memory_gb",
        "load_before",
        "load_after",
        "sqlalchemy",
        "sqlite",
    ):
        assert machine.get(key), key
    assert quick["doc"]["options"]["quick"] is True


def test_postgresql_is_benchmarked_when_a_server_answers(quick: dict[str, Any]) -> None:
    """Under CI=true a server must answer (CI has one), and then every database benchmark of
    the earlier issues reports PostgreSQL figures beside SQLite's."""
    server = quick["doc"]["machine"]["postgresql"]
    if os.environ.get("CI") == "true":
        assert server, "CI=true and no PostgreSQL server answered the suite"
    if not server:
        pytest.skip("no PostgreSQL server answers here")
    by_backend = {(f["benchmark"], f["backend"]) for f in quick["doc"]["figures"]}
    for name in ("selection", "editorial", "feeds"):
        assert (name, "postgresql") in by_backend, name
        assert (name, "sqlite") in by_backend, name


def test_a_saved_run_shows_as_markdown(quick: dict[str, Any]) -> None:
    result = run("--from", str(quick["saved"]), "--markdown")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("Machine: ")
    assert "| Benchmark | Backend | Figure | Value | Unit | Target | Holds | Note |" in lines
    assert (
        len([line for line in lines if line.startswith("| ")]) == len(quick["doc"]["figures"]) + 2
    )
    assert lines[-1].startswith(f"{len(quick['doc']['figures'])} figures, ")


# -- the runner's options -------------------------------------------------------------------


def test_every_benchmark_script_is_registered() -> None:
    """A new bench/NAME.py must be in the runner's registry, or the suite would silently leave
    it out; and every registered name is a script. Helpers are named `_NAME.py`; the runner's
    own scripts are the only others."""
    names = registered()
    scripts = {p.stem for p in BENCH.glob("*.py") if not p.name.startswith("_")}
    assert sorted(names) == sorted(scripts - {"suite", "growth_chart"})
    assert names == list(suite.BENCHMARKS)


def test_only_one_benchmark_prints_the_table() -> None:
    result = run("--quick", "--only", "editorial", "--no-postgres")
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split() == [
        "benchmark",
        "backend",
        "figure",
        "value",
        "unit",
        "target",
        "holds",
    ]
    rows = lines[2:-1]
    assert rows and all(row.startswith("editorial  sqlite ") for row in rows), rows
    assert any(row.rstrip().endswith(("holds", "MISSED")) for row in rows)
    assert lines[-1].startswith(f"{len(rows)} figures, ")
    assert lines[-1].endswith("; 0 of 1 benchmarks failed")
    assert "each one's output in " in result.stderr


@pytest.mark.parametrize(
    "argv, says",
    [
        (["--bogus"], "unrecognized arguments: --bogus"),
        (["--only", "nosuch"], "no benchmark named nosuch"),
        (["--json", "--markdown"], "not allowed with argument"),
        (["--timeout", "0"], "--timeout must be positive"),
    ],
)
def test_bad_usage_exits_2_with_one_clear_line(argv: list[str], says: str) -> None:
    result = run(*argv)
    assert result.returncode == 2
    assert result.stdout == ""
    assert len(result.stderr.splitlines()) == 1 and says in result.stderr, result.stderr


# -- a broken benchmark is a failure, whatever it broke --------------------------------------


PRELUDE = f"""
import argparse, pathlib, subprocess, sys, time
sys.path.insert(0, {str(BENCH)!r})
from _figures import Figure, at_most, emit
from tests.paths import ROOT
ARGS = argparse.Namespace(figures=pathlib.Path(sys.argv[sys.argv.index("--figures") + 1]))
"""
SCRIPTS = {
    "crashes": "print('working'); raise SystemExit('broken: 3 posts missing')",
    "silent": "print('measured nothing')",
    "garbled": "ARGS.figures.write_text('[{\"value\": 1}]')",
    "hangs": "print('waiting', flush=True); time.sleep(60)",
    "leaks": "subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'])\n"
    "emit([Figure('leaks', 'x', 1.0, 's')], ARGS)",
    "fine": "emit([at_most('fine', 'x', 9.0, 'ms', 5)], ARGS)",
}


@pytest.mark.parametrize(
    "name, problem",
    [
        ("crashes", "exited with code 1"),
        ("silent", "reported no figures"),
        ("garbled", "figure 1: not an object with the fields"),
        ("hangs", "timed out after 3 s"),
        ("leaks", "left processes running after it exited"),
        ("fine", ""),
    ],
)
def test_run_one_tells_broken_from_slow(tmp_path: Path, name: str, problem: str) -> None:
    """`fine` misses its target (9 ms, < 5 ms): that is a figure, not a failure."""
    script = tmp_path / f"{name}.py"
    script.write_text(PRELUDE + SCRIPTS[name] + "\n")
    args = suite.parse_args(["--quick", "--no-postgres"])
    result = suite.run_one(name, args, tmp_path, timeout=3, folder=tmp_path)
    assert result.problem.startswith(problem) if problem else result.problem == "", result
    if problem:
        assert result.tail, "a failure shows the end of the script's output"
    else:
        assert [f.holds for f in result.figures] == [False]


def test_malformed_figures_are_named_by_field() -> None:
    good = {f: None for f in FIELDS} | {
        "benchmark": "b",
        "figure": "f",
        "unit": "ms",
        "backend": "-",
        "target": "",
        "note": "",
    }
    assert suite.figure_from(good, "here").value is None
    for key, bad in (
        ("value", "fast"),
        ("value", True),
        ("holds", "yes"),
        ("scale", {"items": 1.5}),
    ):
        with pytest.raises(ValueError, match=key):
            suite.figure_from(good | {key: bad}, "here")


def test_the_runner_is_python_and_spawns_with_its_own_interpreter(
    quick: dict[str, Any],
) -> None:
    """`python bench/run` runs every benchmark with that `python` (`sys.executable`), not with a
    `python3` or `.venv` it looked for: each benchmark's log opens with the command it ran."""
    assert RUN.read_text(encoding="utf-8").startswith("#!/usr/bin/env python3\n")
    assert os.access(RUN, os.X_OK)
    logs = sorted((quick["saved"].parent / "logs").glob("*.log"))
    assert logs, "the quick run kept no logs"
    for log in logs:
        first = log.read_text(encoding="utf-8").split("\n", 1)[0]
        assert first.startswith(f"$ {sys.executable} "), (log.name, first)


def test_the_benchmarks_doc_tells_how_to_run_the_suite() -> None:
    doc = (ROOT / "docs" / "benchmarks.md").read_text(encoding="utf-8")
    for needle in (
        "bench/run",
        "--quick",
        "--json",
        "--markdown",
        "--only",
        "## Latest run",
        "## Growth",
        "## History",
    ):
        assert needle in doc, needle
    for name in registered():
        assert f"`bench/{name}.py`" in doc, f"docs/benchmarks.md does not describe {name}"


def test_growth_curves_are_drawn_relative_to_their_smallest_scale(tmp_path: Path) -> None:
    import growth_chart
    from _figures import Figure

    def growth(name: str, value: float, channels: int, backend: str = "sqlite") -> Figure:
        return Figure("b", name, value, "ms", backend=backend, scale={"channels": channels})

    figures = [
        growth("load, 10 channels", 2.0, 10),
        growth("load, 100 channels", 4.0, 100),
        growth("load, 1,000 channels", 40.0, 1000),
        growth("load, 10 channels", 3.0, 10, "postgresql"),  # one point: no curve
        Figure("b", "load, 7 days", 1.0, "ms"),  # no scale: not growth
    ]
    assert growth_chart.curves(figures) == {
        "channels": [("b: load, N channels (ms) [sqlite]", [(10, 2.0), (100, 4.0), (1000, 40.0)])]
    }
    out = tmp_path / "growth.svg"
    assert "1 growth curve(s) over channels" in growth_chart.write_chart(figures, out)
    svg = ElementTree.parse(out).getroot()
    assert len(svg.findall("{http://www.w3.org/2000/svg}polyline")) == 1
