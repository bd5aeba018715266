"""Ask: a chat with the question engine; follow-ups refine the last answer.
Before the first question: how fresh the data is, and example questions
written from the semantic layer's saved queries."""

from __future__ import annotations

import streamlit as st

from analytics_core.errors import AnalyticsError
from questions.answers import MAX_QUESTION_CHARS, Answer, Turn
from ui.answer_view import show_answer
from ui.resources import data_through, example_questions, question_engine, wait_for_engine
from ui.safe_text import escape_markdown as md

st.title("Ask")
st.caption("Questions about revenue, orders, customers, margin, returns and targets.")

chat: list[dict[str, object]] = st.session_state.setdefault("chat", [])


def suggest(text: str) -> None:
    st.session_state["pending_question"] = text


try:
    last_day = data_through()
    examples = example_questions()
except AnalyticsError as exc:
    last_day, examples = None, []
    st.error(f"The question engine is not available: {md(exc)}")
if last_day is not None:
    st.caption(f"Data through {last_day:%-d %B %Y} ({last_day.isoformat()}).")
if not chat and examples:
    st.caption("For example:")
    columns = st.columns(2)
    for index, example in enumerate(examples):
        columns[index % 2].button(
            md(example),
            key=f"example-{index}",
            on_click=suggest,
            args=(example,),
            width="stretch",
        )


for index, item in enumerate(chat):
    with st.chat_message("user"):
        st.markdown(md(item["question"]))
    with st.chat_message("assistant"):
        answer = item["answer"]
        if isinstance(answer, Answer):
            last = index == len(chat) - 1
            show_answer(answer, key=f"chat-{index}", on_suggestion=suggest if last else None)
        else:
            st.error(md(answer))

typed = st.chat_input(
    "Ask a question, e.g. revenue by region last month", max_chars=MAX_QUESTION_CHARS
)
# A link may carry a question (?q=...: an alert's message links to the question
# that reproduces its number): asked once, on the page's first run.
linked = st.query_params.get("q")
if linked and not st.session_state.get("linked_question_asked"):
    st.session_state["linked_question_asked"] = True
    st.session_state["pending_question"] = str(linked)[:MAX_QUESTION_CHARS]
question = typed or st.session_state.pop("pending_question", None)
if chat and st.sidebar.button("New conversation"):
    chat.clear()
    st.rerun()

if question:
    history: list[Turn] = []
    for item in chat:
        history.append(Turn("user", str(item["question"])))
        if isinstance(item["answer"], Answer):
            history.append(Turn.from_answer(item["answer"]))
    try:
        wait_for_engine()
        with st.spinner("Thinking ..."):
            result: Answer | str = question_engine().ask(question, history=history)
    except AnalyticsError as exc:
        result = f"The question could not be answered: {exc}"
    chat.append({"question": question, "answer": result})
    st.rerun()
