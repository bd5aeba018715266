"""Cells a spreadsheet opens as data, never as a formula (CSV and XLSX exports).

A spreadsheet reads a cell as a formula when its text starts with ``=``,
``+``, ``-`` or ``@`` (and some with a tab or carriage return), and several
are lenient about what comes first: Excel and LibreOffice skip leading
spaces, and full-width forms (U+FF1D, U+FF0B, U+FF0D, U+FF20) are folded to
ASCII by input methods and some importers. So the test is on the text as a
spreadsheet may see it: NFKC-normalised (full-width and compatibility forms
folded), with leading whitespace, control and format characters (zero-width
spaces, BOMs) skipped. A string that starts a formula that way gets a
leading ``'``, which every spreadsheet shows as text; the rest of the value
is kept as it was. Numbers, dates and ``None`` are never changed.
"""

from __future__ import annotations

import unicodedata
from typing import Any

#: What starts a formula (after normalisation); U+2212 (minus sign) is not
#: folded to ``-`` by NFKC but is read as one by some spreadsheets.
FORMULA_TRIGGERS = frozenset("=+-@\u2212")


def _first_meaningful(text: str) -> str:
    """The first character of ``text`` as a spreadsheet may see it, or ``""``."""
    for char in unicodedata.normalize("NFKC", text):
        # Separators (spaces), controls (tab, CR, LF) and format characters.
        category = unicodedata.category(char)
        if category[0] == "Z" or category in ("Cc", "Cf"):
            continue
        return char
    return ""


def is_formula_like(text: str) -> bool:
    """Whether a spreadsheet could read ``text`` as a formula (see the module docstring).
    A value that starts with a tab or a carriage return counts as well."""
    if text[:1] in ("\t", "\r", "\n"):
        return True
    return _first_meaningful(text) in FORMULA_TRIGGERS


def escape_formula(value: Any) -> Any:
    """A cell value safe to open in a spreadsheet: a string that could be read
    as a formula gets a leading ``'``; anything else is returned unchanged."""
    if isinstance(value, str) and is_formula_like(value):
        return "'" + value
    return value
