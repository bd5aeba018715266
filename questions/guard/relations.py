"""What a statement reads: every relation resolved against the CTEs in scope
and the policy's allow-list, and every column reference checked against the
personal-data names and the relations' allowed columns."""

from __future__ import annotations

from collections.abc import Iterator

from sqlglot import exp

from questions.guard.errors import GuardError, snippet
from questions.guard.nodes import Nodes
from questions.guard.policy import GuardPolicy
from questions.guard.rules import function_names


def check_sources(nodes: Nodes) -> None:
    """FROM and JOIN read only tables, subqueries, LATERAL subqueries or VALUES."""
    for node in nodes.find_all(exp.From, exp.Join):
        source = node.this
        if isinstance(source, exp.Lateral):
            source = source.this
        if not isinstance(source, exp.Table | exp.Subquery | exp.Values):
            raise GuardError(
                "relation_not_allowed",
                f"only tables and subqueries may be read, not {source.key.upper()}",
            )


def _table_parts(table: exp.Table) -> tuple[str, str, str]:
    return (
        str(table.catalog).lower(),
        str(table.db).lower(),
        str(table.name).lower(),
    )


def _relation_key(table: exp.Table, policy: GuardPolicy) -> str:
    """The allow-list key of a schema-qualified table, or GuardError."""
    catalog, schema, name = _table_parts(table)
    shown = snippet(".".join(p for p in (catalog, schema, name) if p))
    if table.args.get("this") is None or not isinstance(table.this, exp.Identifier):
        raise GuardError("relation_not_allowed", f"relation {shown} is not allowed")
    if catalog and (policy.database is None or catalog != policy.database.lower()):
        raise GuardError("relation_not_allowed", f"relation {shown} is in another database")
    if policy.schema_prefix is not None:
        prefix = policy.schema_prefix.lower() + "_"
        if not schema.startswith(prefix):
            raise GuardError("relation_not_allowed", f"relation {shown} is not allowed")
        schema = schema[len(prefix) :]
    key = f"{schema}.{name}"
    if key not in policy.allowed_relations:
        raise GuardError("relation_not_allowed", f"relation {shown} is not allowed")
    return key


def check_relations(
    node: exp.Expression,
    ctes: frozenset[str],
    policy: GuardPolicy,
    sources: dict[int, str],
) -> None:
    """Resolve every table in the tree against the CTEs in scope and the
    allow-list, recording ``id(table) -> key`` for real relations."""
    with_ = node.args.get("with_")
    if isinstance(with_, exp.With):
        visible = ctes
        recursive = bool(with_.args.get("recursive"))
        for cte in with_.expressions:
            name = str(cte.alias_or_name).lower()
            body_scope = visible | {name} if recursive else visible
            check_relations(cte.this, body_scope, policy, sources)
            visible = visible | {name}
        ctes = visible
    if isinstance(node, exp.Table):
        if isinstance(node.this, exp.Func):
            names = function_names(node.this)
            raise GuardError(
                "function_not_allowed",
                f"table function {snippet(sorted(names)[0])} is not allowed",
            )
        _, schema, name = _table_parts(node)
        if not schema and not node.args.get("catalog"):
            if name not in ctes or not isinstance(node.this, exp.Identifier):
                raise GuardError(
                    "relation_not_allowed",
                    f"relation {snippet(name)} has no schema and is not a CTE",
                )
        else:
            sources[id(node)] = _relation_key(node, policy)
    for key, child in node.args.items():
        if key == "with_":
            continue
        for item in child if isinstance(child, list) else [child]:
            if isinstance(item, exp.Expression):
                check_relations(item, ctes, policy, sources)


def _select_sources(select: exp.Select, sources: dict[int, str]) -> dict[str, str | None]:
    """Names (aliases, else table names) of what a SELECT reads directly,
    mapped to the relation key, or None for CTEs and subqueries."""
    found: dict[str, str | None] = {}
    from_ = select.args.get("from_")
    items: list[exp.Expression] = []
    if isinstance(from_, exp.From):
        items.append(from_.this)
    for join in select.args.get("joins") or []:
        items.append(join.this)
    for item in items:
        found[str(item.alias_or_name).lower()] = (
            sources.get(id(item)) if isinstance(item, exp.Table) else None
        )
    return found


def _enclosing_selects(node: exp.Expression) -> Iterator[exp.Select]:
    parent = node.parent
    while parent is not None:
        if isinstance(parent, exp.Select):
            yield parent
        parent = parent.parent


def check_columns(nodes: Nodes, policy: GuardPolicy, sources: dict[int, str]) -> None:
    row_names: set[str] = set()
    for table in nodes.find_all(exp.Table):
        row_names.add(str(table.name).lower())
        if table.alias:
            row_names.add(str(table.alias).lower())
    for sub in nodes.find_all(exp.Subquery, exp.CTE, exp.Lateral):
        if sub.alias:
            row_names.add(str(sub.alias).lower())

    listed = any(policy.allowed_relations.get(key) is not None for key in sources.values())
    cache: dict[int, tuple[dict[str, str | None], frozenset[str]]] = {}
    for column in nodes.find_all(exp.Column):
        if isinstance(column.this, exp.Star):
            _check_star(column, str(column.table).lower(), policy, sources)
            continue
        name = str(column.name).lower()
        if name in policy.personal_columns:
            raise GuardError("personal_data", f"column {snippet(name)} holds personal data")
        if name in row_names:
            raise GuardError("row_reference", f"{snippet(name)} names a whole row, not a column")
        if listed:
            _check_listed_column(column, name, policy, sources, cache)
    for star in nodes.find_all(exp.Star):
        if isinstance(star.parent, exp.Column):
            continue
        if isinstance(star.parent, exp.Select) and star in star.parent.expressions:
            _check_star(star, "", policy, sources)


def _check_star(
    node: exp.Expression, qualifier: str, policy: GuardPolicy, sources: dict[int, str]
) -> None:
    select = next(_enclosing_selects(node), None)
    if select is None:
        return
    for name, key in _select_sources(select, sources).items():
        if qualifier and name != qualifier:
            continue
        if key is not None and policy.allowed_relations.get(key) is not None:
            raise GuardError(
                "personal_data",
                f"* over {key} would reach columns that may not be selected; name them",
            )


def _check_listed_column(
    column: exp.Column,
    name: str,
    policy: GuardPolicy,
    sources: dict[int, str],
    cache: dict[int, tuple[dict[str, str | None], frozenset[str]]],
) -> None:
    """A column of a relation whose allowed columns are listed must be one of them."""
    qualifier = str(column.table).lower()
    for select in _enclosing_selects(column):
        if id(select) not in cache:
            cache[id(select)] = (
                _select_sources(select, sources),
                frozenset(str(e.alias).lower() for e in select.expressions if e.alias),
            )
        selected, aliases = cache[id(select)]
        if qualifier:
            if qualifier not in selected:
                continue  # a correlated reference to an outer query
            key = selected[qualifier]
        else:
            if name in aliases or len(selected) != 1:
                return  # a projection alias, or not attributable without a schema
            key = next(iter(selected.values()))
        allowed = policy.allowed_relations.get(key) if key is not None else None
        if allowed is not None and name not in allowed:
            raise GuardError(
                "column_not_allowed", f"column {snippet(name)} of {key} is not allowed"
            )
        return
