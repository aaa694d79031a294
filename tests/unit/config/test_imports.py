"""`[imports]`: how much of a CSV file an import reads, as sizes staff can write."""

from __future__ import annotations

import pytest

from content_queue.csvrecords import CsvLimits
from xensocial.config import load_settings
from xensocial.config.imports import parse_size
from xensocial.errors import ConfigError

from .conftest import CHANNEL, WriteConfig


@pytest.mark.parametrize(
    ("text", "size"),
    [
        ("4096", 4096),
        ("64 KB", 65_536),
        ("64KiB", 65_536),
        ("50 MB", 52_428_800),
        ("50 mb", 52_428_800),
        ("1.5 GB", 1_610_612_736),
        (" 2 GiB ", 2_147_483_648),
        ("100 B", 100),
    ],
)
def test_sizes(text: str, size: int) -> None:
    assert parse_size(text) == size


@pytest.mark.parametrize("text", ["", "MB", "lots", "-5 MB", "5 TB", "5 MB extra", "1e6"])
def test_what_is_not_a_size(text: str) -> None:
    with pytest.raises(ValueError, match="is not a size such as '50 MB'"):
        parse_size(text)


def test_the_defaults_are_the_readers(write_config: WriteConfig) -> None:
    settings = load_settings(write_config(CHANNEL), env={})
    assert settings.imports == CsvLimits()
    assert (settings.imports.max_file_bytes, settings.imports.max_row_bytes) == (50 * 2**20, 2**16)


def test_the_table_sets_both(write_config: WriteConfig) -> None:
    text = '[imports]\nmax_file_size = "200 MB"\nmax_row_length = 131072\n' + CHANNEL
    settings = load_settings(write_config(text), env={})
    assert settings.imports == CsvLimits(max_file_bytes=200 * 2**20, max_row_bytes=131_072)


@pytest.mark.parametrize(
    ("table", "key", "words"),
    [
        ('max_file_size = "1 KB"', "imports.max_file_size", "at least 65,536 bytes"),
        ('max_row_length = "512 B"', "imports.max_row_length", "at least 1,024 bytes"),
        ("max_row_length = true", "imports.max_row_length", "expected a size"),
        ('max_file_size = "huge"', "imports.max_file_size", "'huge' is not a size"),
        ("max_rows = 5", "imports.max_rows", "unknown key"),
    ],
)
def test_mistakes_name_their_key(
    write_config: WriteConfig, table: str, key: str, words: str
) -> None:
    with pytest.raises(ConfigError) as info:
        load_settings(write_config(f"[imports]\n{table}\n" + CHANNEL), env={})
    assert info.value.key == key and words in str(info.value), str(info.value)
