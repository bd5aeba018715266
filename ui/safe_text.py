"""Text from the warehouse or the services, shown by Streamlit as it is.

Streamlit reads Markdown almost everywhere: ``st.markdown``, ``st.caption``,
``st.info``/``warning``/``error``/``success``, ``st.subheader``, widget and
metric labels, metric values, status and expander labels, ``help`` tooltips.
A product named ``![x](http://host/pixel.png) [click](http://host/)`` would
make the browser fetch the image and show a live link; ``:red[...]``,
``$...$``, ``<http://...>``, a bare ``http://`` or ``www.`` address, an
emoji shortcode or a leading ``#`` would change what is shown. Every value
that is not our own constant text goes through :func:`escape_markdown`
before it reaches one of those sinks (``tests/ui/test_safe_text.py`` checks
the sinks, in AppTest and in a browser).

:func:`sandboxed_html` wraps a report's HTML for ``components.html``, whose
iframe allows scripts and the page's origin: the report is shown in an inner
iframe with an empty ``sandbox`` (no scripts, an opaque origin, no forms,
popups or navigation of the page) and a Content-Security-Policy that lets it
load nothing from anywhere.
"""

from __future__ import annotations

import html
import re
from typing import Any

#: Backslash-escaped wherever they appear: everything Markdown, GFM, Streamlit's
#: directives (``:red[...]``, ``:material/...:``, emoji shortcodes), math
#: (``$``), raw HTML and entities (``<``, ``&``) and autolinks (``:``, ``/``,
#: ``.``, ``@``) use. ``_`` is escaped unless it is inside a word, where it
#: cannot emphasise (``daily_sales`` stays as it is).
_SPECIALS = frozenset("\\`*{}[]()#+-.!|~<>$:/@&=")
_LEADING_SPACE = re.compile(r"^[ \t]+", re.MULTILINE)
#: GFM also links bare addresses found in the *parsed* text (``http://...``,
#: ``www.``, ``name@host.tld``), where backslash escapes are already gone: an
#: invisible word joiner (U+2060) after the scheme or ``www`` and before ``@``
#: keeps them text.
WORD_JOINER = "\u2060"
_BARE_LINK = re.compile(r"(?i)(?:https?|ftp|www)(?=:|\.)|(?=@)")


def escape_markdown(value: Any) -> str:
    """``value`` as Markdown that Streamlit shows as the literal text of ``str(value)``:
    no link, image, HTML, formatting, directive, math, emoji or icon; line
    breaks kept (as hard breaks). Bare addresses carry an invisible word
    joiner (see :data:`WORD_JOINER`)."""
    text = "" if value is None else str(value)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _BARE_LINK.sub(lambda m: m.group(0) + WORD_JOINER, text)
    out: list[str] = []
    for index, char in enumerate(text):
        if char in _SPECIALS:
            out.append("\\" + char)
        elif char == "_":
            before = text[index - 1] if index else ""
            after = text[index + 1] if index + 1 < len(text) else ""
            inside_word = before.isalnum() and after.isalnum()
            out.append("_" if inside_word else "\\_")
        else:
            out.append(char)
    escaped = "".join(out)
    # Indentation would make a code block: keep the look with no-break spaces
    # (as references: a parser may strip a leading U+00A0 itself).
    escaped = _LEADING_SPACE.sub(lambda m: "&#160;" * len(m.group(0).expandtabs(4)), escaped)
    return escaped.replace("\n", "  \n")


#: What the report may load: nothing but its own inline styles and data: images.
REPORT_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; font-src data:;"
    " base-uri 'none'; form-action 'none'"
)


def sandboxed_html(document: str, title: str = "Report") -> str:
    """A page that shows ``document`` in an inner iframe with ``sandbox=""``
    (see the module docstring), for ``streamlit.components.v1.html``."""
    return (
        "<!DOCTYPE html><html><head><meta charset='utf-8'>"
        f'<meta http-equiv="Content-Security-Policy" content="{REPORT_CSP}">'
        "<style>html,body{margin:0;height:100%;overflow:hidden}"
        "iframe{display:block;border:0;width:100%;height:100%}</style></head><body>"
        f'<iframe sandbox="" referrerpolicy="no-referrer" title="{html.escape(title)}"'
        f' srcdoc="{html.escape(document, quote=True)}"></iframe>'
        "</body></html>"
    )
