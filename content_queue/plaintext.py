"""Plain text in, inert text out: which characters stored text may hold, and how the rest is shown.

Titles, descriptions, tags, reasons and feed titles come from people (arguments, CSV files) and
from strangers (fetched pages, feed entries, network answers). Some characters in them are not
text but instructions to whatever displays them:

- C0 controls (ESC starts the terminal sequences that retitle a window, clear the screen or
  write the clipboard: OSC 52), DEL, and C1 controls (U+0080-U+009F; U+009B is a one-character
  CSI on some terminals);
- the bidi embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069), which make a
  line show in another order than it is stored ("Trojan source").

The rule, decided once here:

- **In** (`inert`): every such character is *removed* when the text is stored. None of them is
  something a person can see or mean in a title or a post (a paste from a terminal, a hostile
  page), so removal hides no intent; in particular removing a bidi override shows the text in
  the order it is stored, which is what every reader should see. Tab and line breaks are kept
  in fields that hold several lines (an item's text; CR LF and CR become LF) and become a
  space elsewhere. Text that is not valid Unicode (a lone surrogate: bytes that were not UTF-8,
  decoded with `surrogateescape`, such as `--tag $'\\xff'`) is *refused*: what was meant cannot
  be known, and storing `\\udcff` keeps an unprintable value for ever.
- **Out** (`visible`): every terminal output escapes the same characters (`\\x1b`, `\\u202e`),
  so a value stored before this rule, or one that reaches output another way (an error
  message quoting an argument), cannot act on a terminal either; `json_visible` does the same
  for JSON text, as `\\uXXXX` escapes that keep it valid JSON.

Standard library only: the CLI's fast paths import this.
"""

from __future__ import annotations

import re

from .errors import InvalidItem

__all__ = ["HOSTILE", "inert", "json_visible", "visible"]

# Everything a terminal may act on, and lone surrogates (not text at all).
_BIDI = "\u202a-\u202e\u2066-\u2069"
HOSTILE = re.compile(f"[\x00-\x08\x0b-\x1f\x7f-\x9f{_BIDI}\ud800-\udfff\t\n]")
_SURROGATE = re.compile("[\ud800-\udfff]")
_LINE_BREAK = re.compile("\r\n?")
# What `inert` removes: HOSTILE less the surrogates (refused) and the whitespace kept or spaced.
_REMOVED = re.compile(f"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f{_BIDI}]")
_SINGLE_LINE_SPACE = re.compile("[\t\n\r]")
# Shown as they are on a terminal: a tab and a line break do nothing a reader does not see.
_SHOWN_RAW = frozenset("\t\n")


def inert(value: str, field: str, *, multiline: bool = False, strict: bool = True) -> str:
    """`value` as stored: controls and bidi overrides removed (tab and line breaks kept when
    `multiline`, else each made a space); InvalidItem naming `field` when it is not valid Unicode.

    `strict=False` is for text nobody can be asked to correct (a fetched page, a feed entry, a
    network's answer): a lone surrogate becomes U+FFFD instead of a refusal. Nothing else
    changes (no trimming, no folding): callers keep their own normalisation."""
    bad = _SURROGATE.search(value)
    if bad is not None and not strict:
        value = _SURROGATE.sub("\ufffd", value)
    elif bad is not None:
        raise InvalidItem(
            field,
            f"not valid text: a byte that is not UTF-8 (shown as {visible(bad.group())}); "
            "is the terminal or the file UTF-8?",
        )
    lines = _LINE_BREAK.sub("\n", value)
    spaced = lines if multiline else _SINGLE_LINE_SPACE.sub(" ", lines)
    return _REMOVED.sub("", spaced)


def _escape(char: str) -> str:
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def visible(text: str) -> str:
    """`text` safe for a terminal: every control (but tab and line feed), DEL, C1 control, bidi
    override or isolate and lone surrogate shown as an escape (`\\x1b`, `\\u202e`)."""
    return HOSTILE.sub(lambda m: m.group() if m.group() in _SHOWN_RAW else _escape(m.group()), text)


def json_visible(encoded: str) -> str:
    """JSON text (from `json.dumps(..., ensure_ascii=False)`, which escapes C0 controls only)
    with the other hostile characters escaped as `\\uXXXX`: still valid JSON, same values."""
    return HOSTILE.sub(
        lambda m: m.group() if m.group() in _SHOWN_RAW else f"\\u{ord(m.group()):04x}", encoded
    )
