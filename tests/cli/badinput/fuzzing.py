"""Invocations of every command with hostile values, for `test_fuzz_commands`.

The commands and their parameters are read from the CLI itself (click's tree), so a new
command or option is fuzzed without an edit here. Each parameter draws from the values its
name says it takes (a date, a URL, a number, an id, a channel, a file...), pushed to their
extremes, mixed with hostile text of any kind: every Unicode character a command line can
carry (no NUL), and bytes that are not UTF-8, as Python receives them in `sys.argv`
(`surrogateescape`). Flags and options are present or not at random.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import click
from hypothesis import strategies as st

from xensocial.cli import cli as root

from .strategies import CHANNELS

__all__ = ["OPERATIONAL", "SKIPPED", "Command", "commands", "invocations"]

# Not fuzzed: the daemon and the web console run until stopped (`xensocial web`'s own bad
# input is tested in tests/storage/web and tests/e2e/web).
SKIPPED = {("run",), ("web",)}
# Commands that reach a network or judge the daemon: exit 1 is theirs to give (a fetch
# failed, the daemon is not running), and a poll records what failed.
OPERATIONAL = {
    ("feeds", "poll"),
    ("clips", "poll"),
    ("metrics", "poll"),
    ("channels", "verify"),
    ("health",),
}

_ARGV = st.characters(exclude_categories=["Cs"], exclude_characters="\x00")


def _undecodable() -> st.SearchStrategy[str]:
    """Bytes as a shell passes them, decoded as Python decodes argv (`surrogateescape`)."""
    return (
        st.binary(min_size=1, max_size=20)
        .filter(lambda b: b"\x00" not in b)
        .map(lambda b: b.decode("utf-8", "surrogateescape"))
    )


def hostile_text() -> st.SearchStrategy[str]:
    return st.one_of(
        st.text(_ARGV, max_size=40),
        _undecodable(),
        st.sampled_from(["", " ", "-", "--", "-x", "\t", "\u202e", "\x1b]0;x\x07", "é" * 300]),
    )


def _numbers() -> st.SearchStrategy[str]:
    return st.one_of(
        st.integers().map(str),
        st.integers(-(10**30), 10**30).map(str),
        st.integers(-5, 400).map(str),
        st.floats().map(str),
        st.sampled_from(["nan", "inf", "-inf", "1e309", "0x10", " 7 ", "٣", "1_000", "+1"]),
    )


def _years() -> st.SearchStrategy[int]:
    return st.one_of(st.integers(0, 99999), st.sampled_from([0, 1, 1969, 1970, 2026, 9998, 9999]))


def _dates() -> st.SearchStrategy[str]:
    two = st.integers(0, 99).map(lambda n: f"{n:02d}")
    units = st.sampled_from(["ms", "s", "m", "h", "d", "w"])
    amount = st.one_of(st.integers(0, 10**15), st.sampled_from([999999999, 10**9, 2**63]))
    return st.one_of(
        st.builds("{:04d}-{}-{}".format, _years(), two, two),
        st.builds("{:04d}-{}-{} {}:{}".format, _years(), two, two, two, two),
        st.builds(
            "{:04d}-12-31T23:59:59{}".format,
            _years(),
            st.sampled_from(["", "Z", "+14:00", "-12:00", "+00:00"]),
        ),
        st.builds("{}{}{}".format, st.sampled_from(["+", "-", ""]), amount, units),
        st.sampled_from(
            [
                "9999-12-31T23:59:59+00:00",
                "0001-01-01T00:00:00+00:00",
                "0000-01-01",
                "today",
                "yesterday",
                "+1h",
                "+2d",
                "-3d",
                "2026-03-02",
                "2027-01-01 09:30",
                "none",
                "never",
            ]
        ),
    )


def _months() -> st.SearchStrategy[str]:
    return st.one_of(
        st.builds("{:04d}-{:02d}".format, _years(), st.integers(0, 99)),
        st.builds("{:04d}-Q{}".format, _years(), st.integers(0, 9)),
        st.sampled_from(["0000-01", "9999-12", "9998-12", "2026-02", "2026-Q1", "0000-Q1"]),
    )


def _urls() -> st.SearchStrategy[str]:
    return st.one_of(
        st.sampled_from(
            [
                "http://[::1:18500/bad",
                "http://[::1]:18500/ok",
                "https://[fe80::1%25eth0]/",
                "https://example.org/a",
                "https://example.org:99999/",
                "https://exa mple.org/",
                "http://\uff0fexample.org/",
                "http://a\u2100b.org/",
                "https://user@:80/",
                "file:/etc/shadow",
                "file:feed.xml",
                "ftp://example.org/",
                "https://",
                "https://example.org/" + "a" * 5000,
            ]
        ),
        st.builds(
            "https://{}.example/{}".format, st.text(_ARGV, max_size=10), st.text(_ARGV, max_size=10)
        ),
        st.builds("https://example.org/{}".format, _undecodable()),
    )


def _ids() -> st.SearchStrategy[str]:
    return st.one_of(st.sampled_from(["1", "2", "0", "-1"]), _numbers())


def _durations() -> st.SearchStrategy[str]:
    units = st.sampled_from(["ms", "s", "m", "h", "d", "w", "x", ""])
    amounts = st.one_of(
        st.integers(0, 10**20),
        st.floats(0, 1e30),
        st.sampled_from([366, 367, 99999999, 999999999, 10**9]),
    )
    return st.builds("{}{}".format, amounts, units)


def _choices(param: click.Parameter) -> st.SearchStrategy[str]:
    assert isinstance(param.type, click.Choice)
    return st.one_of(st.sampled_from([str(c) for c in param.type.choices]), hostile_text())


def _values(param: click.Parameter, folder: Path) -> st.SearchStrategy[str]:
    """What `param` is given: the values its name says it takes, or any hostile text."""
    name = param.name or ""
    if isinstance(param.type, click.Choice):
        return _choices(param)
    kinds: list[tuple[Callable[[str], bool], Callable[[], st.SearchStrategy[str]]]] = [
        (lambda n: n in {"month", "quarter"}, _months),
        (
            lambda n: (
                n
                in {
                    "start",
                    "end",
                    "since",
                    "until",
                    "day",
                    "not_before",
                    "expires",
                    "at",
                    "event_date",
                }
            ),
            _dates,
        ),
        (lambda n: "url" in n, _urls),
        (lambda n: n.endswith(("_id", "_ids")), _ids),
        (lambda n: n in {"priority", "limit", "days", "initial"}, _numbers),
        (
            lambda n: n in {"channel", "channels", "channel_name", "name"},
            lambda: st.sampled_from(["demo", "fast", *CHANNELS, "nope"]),
        ),
        (lambda n: n in {"interval", "older_than"}, _durations),
        (lambda n: n == "file", lambda: _files(folder)),
        (lambda n: n == "out", lambda: _outs(folder)),
    ]
    for matches, strategy in kinds:
        if matches(name):
            return st.one_of(strategy(), strategy(), hostile_text())
    return hostile_text()


def _files(folder: Path) -> st.SearchStrategy[str]:
    """Files an import could be given: good, empty, not UTF-8, a folder, none at all."""
    folder.mkdir(parents=True, exist_ok=True)
    made = {
        "good.csv": b"url,title,kind,date\nhttps://example.org/f,F,interview,2026-02-03\n",
        "empty.csv": b"",
        "latin1.csv": "url,title\nhttps://example.org/\xe9,caf\xe9\n".encode("latin-1"),
        "huge-year.csv": b"url,title,date,not_before\nhttps://example.org/y,Y,9999-12-31,9999-12-31\n",
    }
    for name, content in made.items():
        (folder / name).write_bytes(content)
    paths = [str(folder / name) for name in made]
    return st.one_of(
        st.sampled_from([*paths, str(folder), str(folder / "missing.csv")]), hostile_text()
    )


def _outs(folder: Path) -> st.SearchStrategy[str]:
    names = st.sampled_from(["r", "r.csv", "r.md", "r.html", "r.json", "r.xml", "r.pdf", "r.atom"])
    return st.one_of(
        st.sampled_from(["-", str(folder / "no" / "such" / "dir.csv"), str(folder)]),
        names.map(lambda n: str(folder / n)),
        hostile_text().map(lambda n: str(folder / n) if n and "/" not in n else n),
    )


class Command:
    """A command's words and the strategies of its parameters."""

    def __init__(self, words: tuple[str, ...], command: click.Command, folder: Path) -> None:
        self.words = words
        self.positional: list[tuple[click.Argument, st.SearchStrategy[str]]] = []
        self.options: list[tuple[click.Option, st.SearchStrategy[str] | None]] = []
        for param in command.params:
            if isinstance(param, click.Argument):
                self.positional.append((param, _values(param, folder)))
            elif isinstance(param, click.Option) and param.name not in {"help"}:
                self.options.append((param, None if param.is_flag else _values(param, folder)))

    def draw(self, draw: st.DrawFn) -> list[str]:
        args = list(self.words)
        for param, values in self.options:
            if not (param.required or draw(st.booleans())):
                continue
            times = draw(st.integers(1, 3)) if param.multiple else 1
            for _ in range(times):
                args.append(param.opts[-1] if values is None else param.opts[0])
                if values is not None:
                    args.append(draw(values))
        for argument, strategy in self.positional:
            count = argument.nargs if argument.nargs > 0 else draw(st.integers(0, 3))
            if not argument.required and draw(st.booleans()):
                count = 0
            args.extend(draw(strategy) for _ in range(count))
        return args


def _walk(
    command: click.Command, words: tuple[str, ...]
) -> Iterator[tuple[tuple[str, ...], click.Command]]:
    if isinstance(command, click.Group):
        ctx = click.Context(command)
        for name in command.list_commands(ctx):
            sub = command.get_command(ctx, name)
            if sub is not None:
                yield from _walk(sub, (*words, name))
    else:
        yield words, command


def commands(folder: Path) -> list[Command]:
    """Every command of the CLI but `SKIPPED`, with its parameters' strategies."""
    return [Command(w, c, folder) for w, c in _walk(root, ()) if w not in SKIPPED]


@st.composite
def invocations(draw: st.DrawFn, choices: list[Command]) -> list[str]:
    """`xensocial [--as NAME] COMMAND ...` with hostile values."""
    command = draw(st.sampled_from(choices))
    actor = ["--as", draw(hostile_text())] if draw(st.integers(0, 9)) == 0 else []
    return [*actor, *command.draw(draw)]
