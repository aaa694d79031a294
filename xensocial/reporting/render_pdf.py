"""The report as a PDF: the HTML report, printed by WeasyPrint.

The PDF is the HTML report itself (`render_html`), laid out for A4 by its print style sheet:
the same sections, tables, notes and SVG charts, which WeasyPrint draws as vectors, so the
figures can never differ from the other formats. The quarterly summary ends its page; every page
carries its number.

WeasyPrint is a Python package but lays out text with Pango, a system library (Debian:
`libpango-1.0-0 libpangoft2-1.0-0`, and a font such as `fonts-dejavu-core`); it is imported
only when a PDF is asked for, so every other command works without them, and a machine without
them gets one sentence saying what to install. The page loads nothing: its fetcher refuses
every URL and stops the rendering if one is ever asked for (the HTML has none: no images,
fonts or style sheets outside the file).
"""

from __future__ import annotations

from typing import Any

from ..errors import XensocialError
from .model import Report
from .render_html import render_html

__all__ = ["PANGO_PACKAGES", "PdfUnavailable", "render_pdf"]

PANGO_PACKAGES = "libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core"


class PdfUnavailable(XensocialError, RuntimeError):
    """WeasyPrint cannot load its system libraries: says which packages to install."""

    def __init__(self, detail: str) -> None:
        super().__init__(
            "a PDF needs the Pango text library, which is not installed "
            f"(Debian and Ubuntu: apt-get install {PANGO_PACKAGES}): {detail}"
        )


def _weasyprint() -> Any:
    """WeasyPrint, imported on first use. Its import sets Pillow's process-wide
    `ImageFile.LOAD_TRUNCATED_IMAGES`; it is put back, so that a process that made a PDF still
    refuses a truncated image (`media.probe`). A report's PDF embeds no image file."""
    from PIL import ImageFile

    before = ImageFile.LOAD_TRUNCATED_IMAGES
    try:
        import weasyprint
    except OSError as exc:  # a shared library that cannot be loaded
        raise PdfUnavailable(str(exc).splitlines()[0] if str(exc) else type(exc).__name__) from exc
    finally:
        ImageFile.LOAD_TRUNCATED_IMAGES = before
    return weasyprint


def render_pdf(report: Report) -> bytes:
    """`report` as a PDF document, its bytes."""
    weasyprint = _weasyprint()
    refuse_all = weasyprint.urls.URLFetcher(allowed_protocols=(), fail_on_errors=True)
    document = weasyprint.HTML(string=render_html(report), url_fetcher=refuse_all)
    pdf: bytes = document.write_pdf()
    return pdf
