"""A command group that imports each command's module only when that command is used.

Why: the root group used to import every command module to build itself, and with them what
each imports at its top (time zones, hashing, rendering, the network helpers): ~20 ms of CPU,
a third of `xensocial --help` (whose target is 2.5x `python -c "import click"`) and a tenth of
`queue list`'s start. Here the root group knows each command by its name, a loader, and the
first paragraph of its help: `--help` lists the commands from those words without importing
any of them, and running a command imports its own module alone.

`LazyCommands` is the group's `commands` mapping: its names are known up front, and looking a
command up loads it. Everything that walks the tree (`group.commands.items()`, as the tests
that check every command's help and README entry do) still sees every command.
tests/cli/test_cli_speed_paths.py checks that each summary here is the command's own, and that
`--help` imports no command module.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, MutableMapping
from dataclasses import dataclass

import click

__all__ = ["Lazy", "LazyCommands", "LazyGroup"]


@dataclass(frozen=True)
class Lazy:
    """A command not imported yet: how to load it, and its help's first paragraph."""

    load: Callable[[], click.Command]
    summary: str


class LazyCommands(MutableMapping[str, click.Command]):
    """Commands by name; a lazy one is loaded (once) when it is looked up."""

    def __init__(self, lazy: Mapping[str, Lazy]) -> None:
        self.lazy = dict(lazy)
        self._loaded: dict[str, click.Command] = {}

    def is_loaded(self, name: str) -> bool:
        return name in self._loaded

    def __getitem__(self, name: str) -> click.Command:
        if name not in self._loaded:
            self._loaded[name] = self.lazy[name].load()  # KeyError for an unknown name
        return self._loaded[name]

    def __setitem__(self, name: str, command: click.Command) -> None:
        self._loaded[name] = command

    def __delitem__(self, name: str) -> None:
        if name not in self:
            raise KeyError(name)
        self._loaded.pop(name, None)
        self.lazy.pop(name, None)

    def __iter__(self) -> Iterator[str]:
        return iter(dict.fromkeys([*self.lazy, *self._loaded]))

    def __len__(self) -> int:
        return len(set(self.lazy) | set(self._loaded))

    def __contains__(self, name: object) -> bool:
        return name in self.lazy or name in self._loaded


class LazyGroup(click.Group):
    """A click group whose commands are loaded on first use (see the module docstring)."""

    def __init__(self, *args: object, lazy: Mapping[str, Lazy], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.commands = LazyCommands(lazy)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The command list of `--help`, as click writes it, from the summaries of the commands
        not loaded yet (a loaded one answers for itself)."""
        commands = self.commands
        assert isinstance(commands, LazyCommands)
        names = self.list_commands(ctx)
        if not names:
            return
        limit = formatter.width - 6 - max(len(name) for name in names)
        rows = []
        for name in names:
            if commands.is_loaded(name) or name not in commands.lazy:
                command = commands[name]
                if command.hidden:
                    continue
                rows.append((name, command.get_short_help_str(limit)))
            else:  # a stand-in with the same help gives the same short help, by click's rules
                stand_in = click.Command(name, help=commands.lazy[name].summary)
                rows.append((name, stand_in.get_short_help_str(limit)))
        with formatter.section("Commands"):
            formatter.write_dl(rows)
