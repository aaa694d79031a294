"""The rendering layer: an item -> the text, and the post, a channel's network accepts.

- `template.py`: `render_post`, the one function that decides a post's text (template, UTM
  parameters, hashtags, folding, cutting to the network's limit, `TextTooLong`);
- `fit.py`: the fit check staff get when they add, edit or import an item (`Draft`,
  `check_fits_channels`, its images' `check_images_fit`), and the counted length and the
  image notes `preview` shows;
- `posts.py`: a delivery's `Post` (`make_post`) and what its delivery records once published
  (`posted_record`), for the publisher, the dry run, reconciliation and `deliveries resolve`.

Every caller, the CLI and the daemon alike, comes here for these, so what staff are told fits
is what is sent; `xensocial.text` holds the networks' counting rules it measures with. Nothing
here imports the CLI, the publisher or reconciliation (`tests/test_layers.py`). The names are
re-exported here: import them from `xensocial.rendering`.
"""

from __future__ import annotations

from .fit import (
    Draft,
    ImageDoesNotFit,
    adapter_class,
    check_fits,
    check_fits_channels,
    check_images_fit,
    check_replies_fit,
    counted_length,
    image_notes,
    image_problem,
    length_unit,
    own_text_length,
    preview_post,
    reply_lengths,
    reply_texts,
)
from .posts import make_post, make_replies, posted_record
from .template import (
    DEFAULT_TEMPLATE,
    ELLIPSIS,
    PLACEHOLDERS,
    UTM_KEYS,
    Renderable,
    TextTooLong,
    channel_url,
    check_sizes,
    countable,
    event_date,
    hashtags_for,
    length_counter,
    reminder_text,
    render_post,
    validate_template,
    with_utm,
)

__all__ = [
    "DEFAULT_TEMPLATE",
    "ELLIPSIS",
    "PLACEHOLDERS",
    "UTM_KEYS",
    "Draft",
    "ImageDoesNotFit",
    "Renderable",
    "TextTooLong",
    "adapter_class",
    "channel_url",
    "check_fits",
    "check_fits_channels",
    "check_images_fit",
    "check_replies_fit",
    "check_sizes",
    "countable",
    "counted_length",
    "event_date",
    "hashtags_for",
    "image_notes",
    "image_problem",
    "length_counter",
    "length_unit",
    "make_post",
    "make_replies",
    "own_text_length",
    "preview_post",
    "reply_lengths",
    "reply_texts",
    "posted_record",
    "reminder_text",
    "render_post",
    "validate_template",
    "with_utm",
]
