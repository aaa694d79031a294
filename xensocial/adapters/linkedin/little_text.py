"""LinkedIn's "little text" format: the post's commentary, escaped so it reads as written.

In commentary, `\\ | { } @ [ ] ( ) < > # * _ ~` are reserved (mentions, hashtag templates):
unescaped, LinkedIn reads them as markup and may drop the rest of the text. `little_text`
escapes each with a backslash, except that a `#word` at the start of a word becomes LinkedIn's
hashtag template `{hashtag|\\#|word}`, so hashtags stay hashtags. The 3000-character limit
counts the text as shown, without the escapes (`xensocial.text.measure`).
"""

from __future__ import annotations

import re

__all__ = ["little_text"]

_RESERVED = re.compile(r"[\\|{}@\[\]()<>#*_~]")
# A hashtag: '#' at the start of a word, then word characters with at least one letter (so
# "issue #12" stays text).
_HASHTAG = re.compile(r"(?<!\S)#(\w*[^\W\d_]\w*)")


def _escape(text: str) -> str:
    return _RESERVED.sub(lambda m: "\\" + m.group(0), text)


def little_text(text: str) -> str:
    """`text` as LinkedIn commentary: reserved characters escaped, hashtags as templates."""
    out, pos = [], 0
    for m in _HASHTAG.finditer(text):
        out.append(_escape(text[pos : m.start()]))
        out.append("{hashtag|\\#|" + _escape(m.group(1)) + "}")
        pos = m.end()
    out.append(_escape(text[pos:]))
    return "".join(out)
