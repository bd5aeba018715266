"""The reports' typeface, shipped with the service (one definition).

Charts are laid out by vl-convert, which measures every label with the fonts
it knows, and drawn by a browser or WeasyPrint, which use the fonts they
find. When the two differ (a chart measured with one system font and drawn
with another) an axis title can overlap its tick labels. So the reports use
one typeface that comes with the service as a Python package (Lato, from
``font-lato``, under the SIL Open Font License), not whatever the machine
has installed: vl-convert measures with it, and every HTML page and PDF
embeds it (subset to the characters the page uses, as ``data:`` URIs: the
page stays self-contained, and its Content-Security-Policy allows fonts from
``data:`` only).
"""

from __future__ import annotations

import base64
import io
from functools import lru_cache
from pathlib import Path

from report_service.models import ReportError

#: The family name charts and pages ask for (the font files' own name).
FAMILY = "Lato"
#: What follows it in CSS, should a viewer refuse embedded fonts.
FALLBACK = "Helvetica, Arial, sans-serif"
#: (CSS font-weight, file name) of the faces the reports use.
FACES = ((400, "Lato-Regular.ttf"), (700, "Lato-Bold.ttf"))


def font_directory() -> Path:
    """The folder of the shipped font files."""
    try:
        import font_lato  # type: ignore[import-untyped]
    except ImportError as exc:  # the report-service extra brings it
        raise ReportError(
            "the reports' font package is missing: install the report-service extra"
        ) from exc
    folder = Path(font_lato.__file__).parent / "files"
    missing = [name for _, name in FACES if not (folder / name).is_file()]
    if missing:
        raise ReportError(f"the reports' font files are missing from {folder}: {missing}")
    return folder


@lru_cache(maxsize=64)
def _subset(name: str, characters: frozenset[str]) -> bytes:
    from fontTools import subset  # type: ignore[import-untyped]

    options = subset.Options()
    options.layout_features = ["kern", "liga", "tnum", "lnum"]
    # Without hinting instructions a face is a third of the size (13 kB of
    # printable ASCII instead of 33); screens and PDFs smooth outlines anyway.
    options.hinting = False
    options.notdef_outline = True
    font = subset.load_font(str(font_directory() / name), options)
    subsetter = subset.Subsetter(options)
    subsetter.populate(text="".join(sorted(characters)))
    subsetter.subset(font)
    buffer = io.BytesIO()
    subset.save_font(font, buffer, options)
    return buffer.getvalue()


def font_face_css(text: str) -> str:
    """``@font-face`` rules that embed the faces, subset to ``text``'s characters
    (plus the digits and basic punctuation, so a number always has its glyphs)."""
    characters = frozenset(text) | frozenset("0123456789.,-+%$€£ ()")
    rules = []
    for weight, name in FACES:
        data = base64.b64encode(_subset(name, characters)).decode("ascii")
        rules.append(
            "@font-face { "
            f'font-family: "{FAMILY}"; font-style: normal; font-weight: {weight}; '
            f'src: url("data:font/ttf;base64,{data}") format("truetype"); '
            "}"
        )
    return "\n".join(rules)
