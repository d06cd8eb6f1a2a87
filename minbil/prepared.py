"""
Queries whose SQL the ORM builds once, for the few that the most called endpoints run on
every request.

Building the SQL of a queryset (resolving lookups and joins, compiling) costs several times
what running it costs on an indexed query: some 0.25 ms against 0.05 ms for the owner's
vehicle list on SQLite, and the same again for the user row behind every token. A
`PreparedQuery` asks the ORM for the SQL once per thread and database (on first use), then
runs it with new parameter values and converts the rows with the ORM's own converters, so
its rows are exactly what the queryset's `values_list()` would give (tests/test_prepared.py
checks that on both databases).

The queryset is built with placeholder values, one per parameter, which must reach the SQL's
parameters unchanged (plain integers and strings do): a placeholder the ORM transforms or
drops is refused when the query is first built, never silently run with the wrong value.
`ID` and `TEXT` serve for an id and a string that no row holds; two parameters of one query
need two different placeholders.

On PostgreSQL the server also plans each of these queries once per connection: they run on a
cursor that binds parameters on the server, which psycopg turns into a prepared statement
(the connection's `prepare_threshold`, set in the settings; `DATABASE_PREPARED_STATEMENTS=0`
turns it off for a pooler that cannot keep them). Planning the vehicle detail's join cost the
server more than running it (0.15 ms against 0.03 ms). Every other query keeps Django's
client-side binding.
"""

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.db import connections
from django.db.models import Model, QuerySet
from django.db.models.sql.compiler import SQLCompiler

ID = -7_391_155
TEXT = "prepared-query-placeholder"


@dataclass(frozen=True)
class _Compiled:
    sql: str
    params: tuple
    slots: dict[str, list[int]]  # parameter name -> its positions in `params`
    compiler: SQLCompiler
    converters: dict
    names: tuple[str, ...]


class PreparedQuery:
    """
    `build(**placeholders)` makes a `values_list()` queryset; `rows(**values)` runs its SQL
    with `values` in the placeholders' places.
    """

    def __init__(self, build: Callable[..., QuerySet], **placeholders: Any) -> None:
        self.build = build
        self.placeholders = placeholders
        self._local = threading.local()  # connections are per thread, and so is this

    def rows(self, *, using: str = "default", **values: Any) -> list[list]:
        compiled = self._compiled(using)
        params = list(compiled.params)
        for name, positions in compiled.slots.items():
            for position in positions:
                params[position] = values[name]
        with cursor(connections[using]) as db_cursor:
            db_cursor.execute(compiled.sql, params)
            rows = db_cursor.fetchall()
        if compiled.converters:
            return list(compiled.compiler.apply_converters(rows, compiled.converters))
        return [list(row) for row in rows]

    def dicts(self, *, using: str = "default", **values: Any) -> list[dict[str, Any]]:
        """The rows as dictionaries, keyed as `values_list()` names its fields."""
        names = self._compiled(using).names
        return [dict(zip(names, row, strict=True)) for row in self.rows(using=using, **values)]

    def instances(self, model: type[Model], *, using: str = "default", **values: Any) -> list:
        """The rows as `model` instances (the queryset lists its concrete fields' attnames)."""
        names = self._compiled(using).names
        return [model.from_db(using, names, row) for row in self.rows(using=using, **values)]

    def _compiled(self, using: str) -> _Compiled:
        cache = self._local.__dict__.setdefault("compiled", {})
        if using not in cache:
            cache[using] = self._compile(using)
        return cache[using]

    def _compile(self, using: str) -> _Compiled:
        queryset = self.build(**self.placeholders).using(using)
        compiler = queryset.query.get_compiler(using=using)
        sql, params = compiler.as_sql()
        slots = {
            name: [i for i, param in enumerate(params) if param == placeholder]
            for name, placeholder in self.placeholders.items()
        }
        missing = [name for name, positions in slots.items() if not positions]
        if missing:
            raise ImproperlyConfigured(
                f"PreparedQuery: the placeholder of {', '.join(missing)} does not reach the SQL "
                "unchanged; use a plain value the ORM passes through."
            )
        selected = [column for column, _sql, _alias in compiler.select[: compiler.col_count]]
        return _Compiled(
            sql=sql,
            params=tuple(params),
            slots=slots,
            compiler=compiler,
            converters=compiler.get_converters(selected),
            names=tuple(queryset.query.values_select),
        )


def cursor(connection):
    """
    A cursor as `connection.cursor()` makes it (health check, connection, Django's wrapper:
    its errors and execute wrappers), except that on PostgreSQL with prepared statements on
    it binds parameters on the server, so that psycopg prepares what it runs: for the queries
    above, and for a statement of fixed text that a frequent call runs (the unlink's delete).
    Django's own cursors bind on the client, and psycopg never prepares their statements.
    While queries are logged (`DEBUG`, or a test capturing them) Django's own cursor is used,
    the only one whose SQL Django can log.
    """
    prepares = connection.settings_dict["OPTIONS"].get("prepare_threshold") is not None
    if connection.vendor != "postgresql" or not prepares or connection.queries_logged:
        return connection.cursor()
    from django.db.backends.postgresql.base import ServerBindingCursor  # psycopg 3 only

    connection.close_if_health_check_failed()
    connection.ensure_connection()
    connection.validate_thread_sharing()
    with connection.wrap_database_errors:
        return connection.make_cursor(ServerBindingCursor(connection.connection))
