"""Plain SQL for the hot paths (an answer batch, its log entries, a snapshot's counts):
insert many rows in one statement, read or update a few columns of rows by key without
compiling a query each time, and fetch a grouped count as one row (``rows_at_once``,
around a query Django compiled). Only the models' own table and column names go into
the SQL text, quoted; every value is a parameter.

Django's ``bulk_create`` builds a model instance per row and compiles a placeholder and a
prepared value per field per row; under a burst of answers that was a third of the
server's CPU (see ``docs/performance.md``). ``insert_rows`` writes plain values instead:
the fields a row does not name take the model's default, prepared once per call; the
values a row names are prepared only where the database needs it (dates, JSON).

It does not run ``pre_save`` hooks (``auto_now_add``) or signals: pass such values in.
"""

from __future__ import annotations

import functools
import json
import sqlite3
from collections.abc import Iterable, Mapping

from django.core.exceptions import EmptyResultSet
from django.db import connections, models

#: Field types whose Python values (int, str, bool, None) every supported database takes
#: as they are.
_PLAIN = frozenset(
    {
        "AutoField",
        "BigAutoField",
        "BigIntegerField",
        "BooleanField",
        "CharField",
        "ForeignKey",
        "IntegerField",
        "OneToOneField",
        "PositiveBigIntegerField",
        "PositiveIntegerField",
        "PositiveSmallIntegerField",
        "SmallIntegerField",
        "TextField",
    }
)


@functools.cache
def _fields(model: type[models.Model]) -> tuple[models.Field, ...]:
    return tuple(f for f in model._meta.concrete_fields if f is not model._meta.pk)


class Prepared(str):
    """A value already in the form the database stores (a JSON text), which
    ``insert_rows`` passes on as it is."""

    __slots__ = ()


def insert_rows(
    model: type[models.Model],
    rows: Iterable[Mapping[str, object]],
    *,
    using: str = "default",
    keys: bool = True,
) -> list[int]:
    """Insert ``rows`` (each a mapping of field ``attname`` to value) into ``model``'s
    table, in this order, and return their primary keys in the same order (with ``keys``
    false, none, and the database is not asked for them). A value wrapped in ``Prepared``
    goes to the database as it is."""
    rows = list(rows)
    if not rows:
        return []
    connection = connections[using]
    fields = _fields(model)
    names = {f.attname for f in fields}
    for row in rows:
        unknown = row.keys() - names
        if unknown:
            raise ValueError(f"{model.__name__} has no field {sorted(unknown)}")
    if not connection.features.can_return_rows_from_bulk_insert:
        created = model._base_manager.using(using).bulk_create([model(**row) for row in rows])
        return [obj.pk for obj in created]
    columns = []
    for field in fields:
        name = field.attname
        convert = None if field.get_internal_type() in _PLAIN else _once(field, connection)
        if all(name in row for row in rows):
            columns.append((name, convert, _EVERY_ROW))
        else:
            # What a row leaves out takes the model's default, prepared once.
            columns.append((name, convert, field.get_db_prep_save(field.get_default(), connection)))

    def values(row) -> list:
        out = []
        for name, convert, default in columns:
            if default is _EVERY_ROW or name in row:
                value = row[name]
                if convert is not None and not isinstance(value, Prepared):
                    value = convert(value)
            else:
                value = default
            out.append(value)
        return out

    if connection.vendor == "postgresql":
        return _insert_unnest(model, fields, [values(row) for row in rows], connection, keys)
    quote = connection.ops.quote_name
    head = f"INSERT INTO {quote(model._meta.db_table)} ({_column_list(model, connection)}) VALUES "  # noqa: S608 - names only
    group = "(" + ", ".join(["%s"] * len(fields)) + ")"
    tail = f" RETURNING {quote(model._meta.pk.column)}" if keys else ""
    per_statement = max(1, _max_params(connection) // len(fields))
    pks: list[int] = []
    with connection.cursor() as cursor:
        for start in range(0, len(rows), per_statement):
            chunk = rows[start : start + per_statement]
            params = [value for row in chunk for value in values(row)]
            cursor.execute(head + ", ".join([group] * len(chunk)) + tail, params)
            if keys:
                # Keys are drawn in the order of the VALUES; RETURNING may list them in any.
                pks.extend(sorted(pk for (pk,) in cursor.fetchall()))
    return pks


def _insert_unnest(model, fields, table_rows: list[list], connection, keys) -> list[int]:
    """PostgreSQL: the rows as one array per column, unnested into the table. The SQL text
    is the same for every batch, so the driver parses it once (a VALUES list of thousands
    of placeholders was parsed anew for every batch: a third of the writer's time under
    saturation, see ``docs/performance.md``), and there is no limit on parameters."""
    arrays = [list(column) for column in zip(*table_rows, strict=True)]
    for index, field in enumerate(fields):
        if field.get_internal_type() == "JSONField":
            # One array holds one type: the driver's JSON wrappers and texts already
            # prepared (``Prepared``) both go as text, and the cast makes them JSON.
            arrays[index] = [_json_text(value) for value in arrays[index]]
    sql = _UNNEST_SQL.get((model, keys))
    if sql is None:
        quote = connection.ops.quote_name
        aliases = [f"c{index}" for index in range(len(fields))]
        casts = ", ".join(f"%s::{_array_type(field, connection)}" for field in fields)
        sql = (
            f"INSERT INTO {quote(model._meta.db_table)} ({_column_list(model, connection)}) "  # noqa: S608 - names only
            f"SELECT {', '.join(aliases)} FROM unnest({casts}) WITH ORDINALITY "
            f"AS u({', '.join(aliases)}, n) ORDER BY n"
        )
        if keys:
            sql += f" RETURNING {quote(model._meta.pk.column)}"
        _UNNEST_SQL[(model, keys)] = sql
    with connection.cursor() as cursor:
        cursor.execute(sql, arrays)
        if keys:
            # Keys are drawn in the order of the rows; RETURNING may list them in any.
            return sorted(pk for (pk,) in cursor.fetchall())
    return []


_UNNEST_SQL: dict[tuple, str] = {}


def _array_type(field: models.Field, connection) -> str:
    kind = field.get_internal_type()
    if kind == "JSONField":
        return "text[]::jsonb[]"
    return f"{field.db_type(connection)}[]"


def _json_text(value):
    if value is None or isinstance(value, str):
        return value
    dumps = getattr(value, "dumps", None) or json.dumps
    return dumps(value.obj)


_COLUMN_LISTS: dict[tuple, str] = {}


def _column_list(model: type[models.Model], connection) -> str:
    """The quoted column names of ``model``'s table, as ``insert_rows`` lists them (one
    per database vendor: connections are per thread)."""
    key = (model, connection.vendor)
    found = _COLUMN_LISTS.get(key)
    if found is None:
        quote = connection.ops.quote_name
        found = _COLUMN_LISTS[key] = ", ".join(quote(f.column) for f in _fields(model))
    return found


def _once(field: models.Field, connection):
    """``field``'s preparation of a value for the database, done once for a run of the
    same value (a batch's rows share one time)."""
    last: list = [_NOTHING, None]

    def convert(value):
        if value is not last[0]:
            last[0], last[1] = value, field.get_db_prep_save(value, connection)
        return last[1]

    return convert


_NOTHING = object()
#: A column that every row of an insert names.
_EVERY_ROW = object()


def select_where(
    model: type[models.Model],
    columns: tuple[str, ...],
    any_of: list[Mapping[str, object]],
    *,
    lock: bool = False,
    using: str = "default",
) -> list[tuple]:
    """``(pk, *columns)`` of the rows of ``model`` that match any of the conditions in
    ``any_of``; each condition is a mapping of field ``attname`` to a value (equal) or a
    list, set or tuple of values (one of them), all of which must hold. With ``lock``, the
    rows are locked for the rest of the transaction, as ``select_by_pk`` locks. Plain
    values only (no dates); an empty list matches nothing."""
    connection = connections[using]
    quote = connection.ops.quote_name
    meta = model._meta
    params: list = []
    alternatives = []
    for condition in any_of:
        terms, values = [], []
        for name, value in condition.items():
            column = quote(meta.get_field(name).column)
            if isinstance(value, list | set | tuple | frozenset):
                if not value:
                    break  # one of no values: this condition matches nothing
                if connection.vendor == "postgresql":
                    # One array parameter: the same SQL text whatever the list's length.
                    terms.append(f"{column} = ANY(%s)")
                    values.append(list(value))
                else:
                    terms.append(f"{column} IN ({', '.join(['%s'] * len(value))})")
                    values.extend(value)
            else:
                terms.append(f"{column} = %s")
                values.append(value)
        else:
            alternatives.append("(" + " AND ".join(terms) + ")")
            params.extend(values)
    if not alternatives:
        return []
    names = [quote(meta.pk.column), *(quote(meta.get_field(name).column) for name in columns)]
    sql = (
        f"SELECT {', '.join(names)} FROM {quote(meta.db_table)} "  # noqa: S608 - names only
        f"WHERE {' OR '.join(alternatives)}" + (_lock_clause(connection) if lock else "")
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def update_where_pk_in(
    model: type[models.Model], pks, values: Mapping[str, object], *, using: str = "default"
) -> int:
    """Set fields (named by ``attname``, values prepared as the ORM prepares them) of the
    rows with these keys; returns the rows changed."""
    pks = list(pks)
    if not pks:
        return 0
    connection = connections[using]
    quote = connection.ops.quote_name
    meta = model._meta
    fields = [meta.get_field(name) for name in values]
    assignments = ", ".join(f"{quote(field.column)} = %s" for field in fields)
    prepared = [
        field.get_db_prep_save(value, connection)
        for field, value in zip(fields, values.values(), strict=True)
    ]
    if connection.vendor == "postgresql":
        where, keys = "= ANY(%s)", [pks]
    else:
        where, keys = f"IN ({', '.join(['%s'] * len(pks))})", pks
    sql = (
        f"UPDATE {quote(meta.db_table)} SET {assignments} "  # noqa: S608 - names only
        f"WHERE {quote(meta.pk.column)} {where}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*prepared, *keys])
        return cursor.rowcount


def _max_params(connection) -> int:
    if connection.vendor == "sqlite":
        # Django assumes SQLite's old limit of 999; the library in use says its own.
        connection.ensure_connection()
        return min(connection.connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER), 32766)
    return connection.features.max_query_params or 65535


def _lock_clause(connection) -> str:
    """Row locks as the services take them (see ``services/log.py``): FOR NO KEY UPDATE
    where the database has it, FOR UPDATE where it has only that, nothing on SQLite
    (whose writers are serialised by the database lock)."""
    if not connection.features.has_select_for_update:
        return ""
    return " " + connection.ops.for_update_sql(
        no_key=connection.features.has_select_for_no_key_update
    )


def select_by_pk(
    model: type[models.Model],
    pks,
    columns: tuple[str, ...],
    *,
    lock: bool = False,
    using: str = "default",
) -> list[tuple]:
    """``(pk, *columns)`` of the rows of ``model`` with these keys (in no order), each
    column named by its field's ``attname``; with ``lock``, the rows are locked for the
    rest of the transaction."""
    pks = list(pks)
    if not pks:
        return []
    connection = connections[using]
    quote = connection.ops.quote_name
    meta = model._meta
    names = [quote(meta.pk.column), *(quote(meta.get_field(name).column) for name in columns)]
    with connection.cursor() as cursor:
        cursor.execute(_select_sql(connection, model, names, len(pks), lock), pks)
        return cursor.fetchall()


def instances_by_pk(
    model: type[models.Model], pks, *, lock: bool = False, using: str = "default"
) -> list[models.Model]:
    """The instances of ``model`` with these keys (in no order), all fields loaded; with
    ``lock``, locked as ``select_by_pk`` locks."""
    pks = list(pks)
    if not pks:
        return []
    connection = connections[using]
    quote = connection.ops.quote_name
    names = [quote(field.column) for field in model._meta.concrete_fields]
    return list(
        model._default_manager.using(using).raw(
            _select_sql(connection, model, names, len(pks), lock), pks
        )
    )


def _select_sql(connection, model, names: list[str], count: int, lock: bool) -> str:
    quote = connection.ops.quote_name
    return (
        f"SELECT {', '.join(names)} FROM {quote(model._meta.db_table)} "  # noqa: S608
        f"WHERE {quote(model._meta.pk.column)} IN ({', '.join(['%s'] * count)})"
        + (_lock_clause(connection) if lock else "")
    )


def update_by_pk(
    model: type[models.Model], pk, values: Mapping[str, object], *, using: str = "default"
) -> int:
    """Set plain columns (named by ``attname``) of one row; returns the rows changed."""
    connection = connections[using]
    quote = connection.ops.quote_name
    meta = model._meta
    assignments = ", ".join(f"{quote(meta.get_field(name).column)} = %s" for name in values)
    sql = (
        f"UPDATE {quote(meta.db_table)} SET {assignments} "  # noqa: S608 (names only)
        f"WHERE {quote(meta.pk.column)} = %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*values.values(), pk])
        return cursor.rowcount


#: Per database: the aggregate that makes one JSON array of rows, and a row's array.
_JSON_ROWS = {
    "postgresql": ("json_agg", "json_build_array"),
    "sqlite": ("json_group_array", "json_array"),
}


def rows_at_once(queryset: models.QuerySet) -> list[tuple]:
    """The rows of a ``values()`` queryset as tuples (its fields, then its annotations),
    fetched from the database as one row: a JSON array the database builds.

    For the grouped counts a snapshot reads on every tick. SQLite gives Python each row
    of a result with the GIL let go and taken back; in a thread beside a busy event loop
    every taking back waits for the loop (up to the interpreter's switch interval, 5 ms),
    so a count of 400 rows could take a second under load. One row takes it back once.
    Only plain values (numbers, text, None) come back as they went in; in no order."""
    query = queryset.query
    names = (*query.values_select, *query.annotation_select)
    connection = connections[queryset.db]
    functions = _JSON_ROWS.get(connection.vendor)
    if functions is None:
        return list(queryset.values_list(*names))
    try:
        sql, params = query.get_compiler(using=queryset.db).as_sql()
    except EmptyResultSet:  # a queryset Django knows is empty (``__in=[]``)
        return []
    columns = ", ".join(connection.ops.quote_name(name) for name in names)
    # The inner query is Django's own, its values parameters; the rest is column names.
    aggregate, row = functions
    outer = f"SELECT {aggregate}({row}({columns})) FROM ({sql}) AS grouped"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(outer, params)
        (found,) = cursor.fetchone()
    if isinstance(found, str | bytes):
        found = json.loads(found)
    return [tuple(row) for row in found or ()]
