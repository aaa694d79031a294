"""The README's command-line reference matches the real CLI, both ways, and its configuration
example is a valid configuration.

Every command and every option the CLI has must be named in the README's "Command line"
section, and every `xensocial ...` command the section's table names must exist; so a command
added, renamed or dropped without the README following fails here.
"""

from __future__ import annotations

import re
from pathlib import Path

import click

from xensocial import config
from xensocial.cli import cli
from xensocial.config import load_settings

from .conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")


def cli_section() -> str:
    start = README.index("\n## Command line")
    end = README.index("\n## ", start + 1)
    return README[start:end]


def leaf_commands(group: click.Group, prefix: tuple[str, ...] = ()) -> dict[str, click.Command]:
    out: dict[str, click.Command] = {}
    for name, command in group.commands.items():
        path = (*prefix, name)
        if isinstance(command, click.Group):
            out.update(leaf_commands(command, path))
        else:
            out[" ".join(path)] = command
    return out


def long_options(command: click.Command) -> set[str]:
    names = set()
    for param in command.params:
        if isinstance(param, click.Option):
            names |= {o for o in param.opts if o.startswith("--") and o != "--help"}
    return names


def test_every_command_and_option_is_in_the_readme() -> None:
    section = cli_section()
    commands = leaf_commands(cli)
    assert len(commands) >= 15  # the walk found the real tree
    for path, command in commands.items():
        assert f"`xensocial {path}" in section, f"README lacks `xensocial {path}`"
        for option in sorted(long_options(command)):
            assert option in section, f"README lacks {option} of `xensocial {path}`"
    for option in long_options(cli):
        assert option in section, f"README lacks the global option {option}"


def test_every_command_in_the_readme_table_exists() -> None:
    named = set(re.findall(r"^\| `xensocial ([a-z ]+?)(?: [A-Z]|`)", cli_section(), re.MULTILINE))
    assert named, "no table rows found"
    unknown = named - set(leaf_commands(cli))
    assert not unknown, f"the README names commands that do not exist: {sorted(unknown)}"


def test_the_readme_configuration_example_is_valid(tmp_path: Path) -> None:
    blocks = re.findall(r"^```toml\n(.*?)^```", README, re.MULTILINE | re.DOTALL)
    example = next(b for b in blocks if "[[channels]]" in b)
    path = tmp_path / "readme.toml"
    path.write_text(example, encoding="utf-8")
    settings = load_settings(path, env={"XENSOCIAL_DATA_DIR": str(tmp_path)})
    assert settings.channels[0].name == "xen-news"
    documented = set(re.findall(r"^#? ?([a-z_]+) = ", example, re.MULTILINE))
    documented |= set(re.findall(r"^#? ?\[\[?([a-z_]+)\]\]?", example, re.MULTILINE))
    assert config._CHANNEL_KEYS - {"options", "secrets", "utm", "hashtags"} <= documented
    assert config._TOP_KEYS - {"publishing", "channels"} <= documented
    assert documented >= config._PUBLISHING_KEYS
