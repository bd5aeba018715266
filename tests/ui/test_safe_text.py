"""Warehouse and service values reach the page as text, never as Markdown:
the escaping function read back by a CommonMark parser, every sink of an
answer in Streamlit's AppTest, and the report's sandboxed iframe wrapper.
(In a real browser, with Streamlit's own Markdown: test_browser_safety.py.)"""

from __future__ import annotations

import html
import re

import pytest
from markdown_it import MarkdownIt
from streamlit.testing.v1 import AppTest

from ui.charts import label
from ui.safe_text import REPORT_CSP, WORD_JOINER, escape_markdown, sandboxed_html

PIXEL = "![x](http://127.0.0.1:9/pixel.png) [click](http://127.0.0.1:9/)"
HOSTILE = [
    PIXEL,
    "<img src=http://127.0.0.1:9/a.png> <b>bold</b> <http://127.0.0.1:9/auto>",
    "http://127.0.0.1:9/bare www.example.com user@example.com",
    "**bold** __bold__ *it* _it_ ~~gone~~ `code` ```fence```",
    ":red[red] :material/warning: :smile: :rainbow-background[x]",
    "$x^2$ and $$y$$ \\(z\\)",
    "# heading",
    "> quote",
    "- item",
    "1. item",
    "| a | b |\n|---|---|\n| 1 | 2 |",
    "line one\n===",
    "text\n---",
    "&amp; &lt;b&gt; &#x41;",
    "[ref]\n\n[ref]: http://127.0.0.1:9/",
    "a\\*b\\",
    "    indented code",
    "daily_sales __init__ snake_case_name _leading trailing_",
    "![x]\n(http://127.0.0.1:9/split.png)",
    "Gizmo :pro",
    "Widget {raw_data}",
]

_MD = MarkdownIt("commonmark")


def rendered(source: str) -> str:
    """The HTML CommonMark makes of ``source``."""
    return _MD.render(source)


def literal(source: str) -> str:
    """The text a reader sees in ``source`` rendered (tags must be <p> and <br>)."""
    out = rendered(source)
    tags = set(re.findall(r"</?([a-z0-9]+)", out))
    assert tags <= {"p", "br"}, f"{source!r} renders {tags - {'p', 'br'}}: {out}"
    text = re.sub(r"<br />\n", "\n", out).replace("</p>\n<p>", "\n\n")
    text = re.sub(r"</?p>", "", text).strip("\n")
    return html.unescape(text).replace("\u00a0", " ").replace(WORD_JOINER, "")


@pytest.mark.parametrize("text", HOSTILE)
def test_escaped_text_reads_back_as_itself(text: str) -> None:
    escaped = escape_markdown(text)
    assert literal(escaped) == text
    # Streamlit's own additions, on the raw source: no directive, no emoji or
    # icon shortcode, no unescaped math delimiter.
    assert not re.search(r"(?<!\\):[a-z][a-z0-9-]*\\?\[", escaped)
    assert not re.search(r":(?!material/|streamlit:)[\w+-][\w_+-]*:", escaped)
    assert not re.search(r":material/", escaped)
    assert not re.search(r"(?<!\\)\$", escaped)
    # GFM's bare links are found in the parsed text (escapes undone): none left.
    parsed = html.unescape(re.sub(r"\\(.)", r"\1", escaped))
    assert not re.search(r"(?i)(https?|ftp)://|www\.|[-.\w+]@[-\w]", parsed)


def test_values_of_any_type_and_newlines() -> None:
    assert literal(escape_markdown(None)) == ""
    assert literal(escape_markdown(12.5)) == "12.5"
    assert literal(escape_markdown(ValueError("bad [x](y)"))) == "bad [x](y)"
    assert literal(escape_markdown("a\r\nb\rc")) == "a\nb\nc"
    assert escape_markdown("daily_sales") == "daily_sales"  # a word stays readable


def test_the_report_wrapper_is_sandboxed() -> None:
    document = '<html><body><p title="x">"quoted" &amp; <b>r</b></p></body></html>'
    page = sandboxed_html(document, title='Job "x" <1>')
    [frame] = re.findall(r"<iframe[^>]*>", page)
    assert 'sandbox=""' in frame
    assert "allow-" not in page
    srcdoc = re.search(r'srcdoc="([^"]*)"', frame)
    assert srcdoc is not None and html.unescape(srcdoc.group(1)) == document
    assert 'title="Job &quot;x&quot; &lt;1&gt;"' in frame
    assert REPORT_CSP in page and "default-src 'none'" in REPORT_CSP
    assert "<script" not in page


def _answer_page(hostile: list[str]) -> None:
    """A page that shows one answer full of warehouse values, as Ask does."""
    from questions.answers import Answer
    from ui.answer_view import show_answer

    status = ["answered", "clarify", "unsupported"]
    for index, state in enumerate(status):
        show_answer(
            Answer(
                question=hostile[0],
                status=state,  # type: ignore[arg-type]
                engine="local",
                explanation=" ".join(hostile),
                columns=[hostile[index] if state == "answered" else "revenue"],
                rows=[[12.5]] if state == "answered" else [],
                suggestions=hostile[:6],
                warnings=hostile,
            ),
            key=f"answer-{index}",
            on_suggestion=lambda text: None,
        )


def sources(test: AppTest) -> list[str]:
    """Every Markdown source on the page: bodies, labels and metric values."""
    found: list[str] = []
    for kind in ("markdown", "caption", "info", "warning", "error", "success", "subheader"):
        found.extend(str(e.value) for e in test.get(kind))
    for element in test.get("metric"):
        found.extend([str(element.label), str(element.value)])
    found.extend(str(b.label) for b in test.button)
    return found


def test_an_answer_shows_every_value_as_text() -> None:
    test = AppTest.from_function(_answer_page, args=(HOSTILE,), default_timeout=60)
    test.run()
    assert not test.exception, test.exception
    shown = sources(test)
    assert len(shown) >= 3 + len(HOSTILE) + 6
    for source in shown:
        text = literal(source)
        assert "<a" not in rendered(source) and "<img" not in rendered(source)
        assert text  # nothing vanished
    joined = "\n".join(literal(s) for s in shown)
    assert PIXEL in joined
    for text in HOSTILE:
        # Every value is shown, each line as it is (indentation kept as no-break spaces).
        for line in text.split("\n"):
            assert line.strip() in joined, line
    [metric] = test.get("metric")  # the column name is the label, as text
    assert literal(str(metric.label)) == label(HOSTILE[0])


def test_a_suggestion_button_sends_the_raw_suggestion() -> None:
    """The label is escaped; what the click asks is the suggestion itself."""

    def page() -> None:
        import streamlit as st

        from questions.answers import Answer
        from ui.answer_view import show_answer

        def clicked(text: str) -> None:
            st.session_state["asked"] = text

        show_answer(
            Answer(
                question="q",
                status="clarify",
                engine="local",
                explanation="Which one?",
                suggestions=["revenue for ![x](http://127.0.0.1:9/p.png)"],
            ),
            key="a",
            on_suggestion=clicked,
        )

    test = AppTest.from_function(page, default_timeout=60)
    test.run()
    [button] = test.button
    assert literal(str(button.label)) == "revenue for ![x](http://127.0.0.1:9/p.png)"
    button.click().run()
    assert test.session_state["asked"] == "revenue for ![x](http://127.0.0.1:9/p.png)"
