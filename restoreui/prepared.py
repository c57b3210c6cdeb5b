"""Reads by key that every page makes: the ORM writes the SQL once per process, then it only runs.

Building a query costs the ORM far more than the database takes to answer it
(about 0.5 ms against 0.05 ms for a session, a user or a restore record), and a
page makes several. The statement, its columns and the converters of the
database's values are kept from the first build; each read is one execute and
one model instance, so the database is still asked on every request (a session
ended on one worker ends on all at once).
"""

import threading

from django.db import connections, router
from django.db.models import IntegerField, Model


class ByKey[M: Model]:
    """`ByKey(Model, "a", "b").get(a=1, b=2)`: the instance whose fields equal those values, or None;
    `.exists(a=1, b=2)`: whether there is any."""

    def __init__(self, model: type[M], *fields: str):
        self.model = model
        self.fields = fields
        self._built: dict[str, tuple] = {}
        self._lock = threading.Lock()

    def _build(self, alias: str) -> tuple:
        meta = self.model._meta
        fields = {name: meta.pk if name == "pk" else meta.get_field(name) for name in self.fields}
        # Distinct markers stand for the values, so each parameter can be matched to its field.
        markers = {
            name: -987_650 - i if isinstance(field, IntegerField) else f"\x00marker-{i}\x00"
            for i, (name, field) in enumerate(fields.items())
        }
        compiler = self.model._base_manager.using(alias).filter(**markers).query.get_compiler(alias)
        sql, params = compiler.as_sql()
        order = {marker: name for name, marker in markers.items()}
        if sorted(str(order.get(p, "")) for p in params) != sorted(self.fields):
            raise ValueError(f"{self.model.__name__} by {', '.join(self.fields)}: not a plain lookup by those fields")
        columns = [col for col, _, _ in compiler.select]
        converters = [
            (position, converters, column)
            for position, (converters, column) in compiler.get_converters(columns).items()
        ]
        return (
            sql,
            [(name, fields[name]) for name in (order[p] for p in params)],
            [c.target.attname for c in columns],
            converters,
        )

    def _rows(self, values: dict, count: int) -> tuple[list, str, tuple]:
        alias = router.db_for_read(self.model)
        built = self._built.get(alias)
        if built is None:
            with self._lock:
                built = self._built.setdefault(alias, self._build(alias))
        sql, params = built[:2]
        # Connections belong to their thread: the one of this request, not the one that built the statement.
        connection = connections[alias]
        with connection.cursor() as cursor:
            cursor.execute(sql, [field.get_db_prep_value(values[name], connection) for name, field in params])
            return cursor.fetchmany(count), alias, built

    def exists(self, **values) -> bool:
        """Whether any row has those values."""
        return bool(self._rows(values, 1)[0])

    def get(self, **values) -> M | None:
        rows, alias, (_, _, names, converters) = self._rows(values, 2)
        connection = connections[alias]
        if not rows:
            return None
        if len(rows) > 1:
            raise self.model.MultipleObjectsReturned(  # type: ignore[attr-defined]  # every model has one
                f"more than one {self.model.__name__} for {values}"
            )
        row = list(rows[0])
        for position, steps, column in converters:
            for convert in steps:
                row[position] = convert(row[position], column, connection)
        return self.model.from_db(alias, names, row)
