"""Neutral query text: ``{rpt_*}`` relation placeholders and ``:name`` binds,
rewritten for each driver by a scanner that knows the SQL tokens, so text in
literals, quoted identifiers and comments is never touched (see
:mod:`analytics_core.warehouse`)."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

#: A relation placeholder's name: a reporting view.
RELATION_NAME = re.compile(r"^rpt_[a-z0-9_]+$")
_PLACEHOLDER = re.compile(r"\{([A-Za-z0-9_]+)\}")
#: ``:name`` binds; ``::`` casts and ``a:b`` paths are left alone.
_BIND = re.compile(r"(?<![:\w]):([A-Za-z_][A-Za-z0-9_]*)")


def check_relation_name(relation: str) -> str:
    """``relation`` if it is a reporting relation name, else ``ValueError``."""
    if not RELATION_NAME.match(relation):
        raise ValueError(f"not a reporting relation name: {relation!r}")
    return relation


def _scan(sql: str, *, backslash_escapes: bool) -> list[tuple[bool, str]]:
    """``sql`` cut into ``(is_code, text)`` pieces: code, and the spans the
    rewriting must never touch (string literals ``'...'`` and ``$$...$$``,
    quoted identifiers ``"..."`` and backticks, ``--`` and ``/* */``
    comments, and Snowflake's ``//`` comments). ``backslash_escapes``
    (Snowflake): a backslash escapes the next character inside ``'...'``; in
    DuckDB it is an ordinary character but in ``E'...'`` strings. An
    unterminated span runs to the end (the driver then reports the error)."""
    pieces: list[tuple[bool, str]] = []
    start = i = 0
    n = len(sql)

    def protect(end: int) -> None:
        nonlocal start
        if i > start:
            pieces.append((True, sql[start:i]))
        pieces.append((False, sql[i:end]))
        start = end

    while i < n:
        ch = sql[i]
        if ch in "'\"`":
            escapes = ch == "'" and (
                backslash_escapes
                or (
                    i > 0
                    and sql[i - 1] in "eE"
                    and (i == 1 or not (sql[i - 2].isalnum() or sql[i - 2] == "_"))
                )
            )
            j = i + 1
            while j < n:
                if escapes and sql[j] == "\\":
                    j += 2
                    continue
                if sql[j] == ch:
                    if j + 1 < n and sql[j + 1] == ch:  # a doubled quote
                        j += 2
                        continue
                    break
                j += 1
            end = min(j + 1, n)
        elif sql.startswith("--", i) or (backslash_escapes and sql.startswith("//", i)):
            newline = sql.find("\n", i)
            end = n if newline < 0 else newline + 1
        elif sql.startswith("/*", i):
            close = sql.find("*/", i + 2)
            end = n if close < 0 else close + 2
        elif sql.startswith("$$", i):
            close = sql.find("$$", i + 2)
            end = n if close < 0 else close + 2
        else:
            i += 1
            continue
        protect(end)
        i = end
    if start < n:
        pieces.append((True, sql[start:]))
    return pieces


def _rewrite_code(
    sql: str, rewrite: Callable[[str], str], *, backslash_escapes: bool = False
) -> str:
    return "".join(
        rewrite(text) if is_code else text
        for is_code, text in _scan(sql, backslash_escapes=backslash_escapes)
    )


def substitute_relations(
    sql: str, qualify: Callable[[str], str], *, backslash_escapes: bool = False
) -> str:
    """Replace every ``{rpt_*}`` placeholder in the code of ``sql`` (never in
    a literal, quoted identifier or comment) with ``qualify(name)``."""

    def replace(match: re.Match[str]) -> str:
        return qualify(check_relation_name(match.group(1)))

    return _rewrite_code(
        sql, lambda code: _PLACEHOLDER.sub(replace, code), backslash_escapes=backslash_escapes
    )


def bind_names(sql: str, *, backslash_escapes: bool = False) -> set[str]:
    """The ``:name`` bind parameters used in the code of ``sql``."""
    names: set[str] = set()
    for is_code, text in _scan(sql, backslash_escapes=backslash_escapes):
        if is_code:
            names.update(_BIND.findall(text))
    return names


def translate_binds(sql: str, params: Mapping[str, Any], style: str) -> str:
    """Rewrite ``:name`` binds as ``$name`` (``style="dollar"``, DuckDB) or
    ``%(name)s`` (``style="pyformat"``, Snowflake). Every bind must have a
    value in ``params``; text in literals, quoted identifiers and comments is
    left alone (but for ``%``, which the Snowflake connector reads everywhere)."""
    backslash_escapes = style == "pyformat"
    missing = bind_names(sql, backslash_escapes=backslash_escapes) - set(params)
    if missing:
        raise ValueError(f"missing bind parameters: {', '.join(sorted(missing))}")
    if style == "dollar":
        return _rewrite_code(sql, lambda code: _BIND.sub(lambda m: "$" + m.group(1), code))
    if style == "pyformat":
        if params:
            # The connector %-formats the whole statement when it has
            # parameters, literals included.
            sql = sql.replace("%", "%%")
        return _rewrite_code(
            sql,
            lambda code: _BIND.sub(lambda m: f"%({m.group(1)})s", code),
            backslash_escapes=True,
        )
    raise ValueError(f"unknown bind style {style!r}")
