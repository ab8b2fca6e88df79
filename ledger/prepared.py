"""Statements compiled once per database and run on the driver's own cursor: for the hot paths."""
from __future__ import annotations

from typing import Any, Mapping, Optional, Protocol, Union

from sqlalchemy import Connection, bindparam
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import PoolProxiedConnection
from sqlalchemy.sql import Executable


class OnDriver(Protocol):
    """A transaction on a driver connection of the engine's pool (``wela.db.Tx``)."""

    dialect: Dialect
    driver: PoolProxiedConnection


On = Union[Connection, OnDriver]


def driver_of(on: On) -> PoolProxiedConnection:
    return on.connection if isinstance(on, Connection) else on.driver


def bound(*names: str) -> dict[str, Any]:
    """``.values(bound("a", "b"))``: each column set from the parameter of its own name."""
    return {name: bindparam(name) for name in names}


def driver_error(dialect: Dialect, err: Exception, driver: Optional[PoolProxiedConnection], cursor: Any = None,
                 sql: Optional[str] = None, params: Any = None) -> DBAPIError:
    """A driver's error as ``Connection.execute`` would raise it: SQLAlchemy's, the connection
    invalidated (and so dropped by the pool) when it was lost."""
    lost = dialect.is_disconnect(err, driver.dbapi_connection if driver is not None else None, cursor)
    if lost and driver is not None:
        driver.invalidate(err)
    return DBAPIError.instance(sql, params, err, dialect.loaded_dbapi.Error, connection_invalidated=lost)


class Prepared:
    """One statement compiled once for a dialect and run on the driver's own cursor.

    For the few statements on a hot path (a phone call's state) where SQLAlchemy's work per
    execution costs more than the database's: the SQL is still SQLAlchemy's, for this dialect, and
    values pass through the column types' own bind and result processors (JSON, UTC datetimes,
    booleans). A driver error becomes SQLAlchemy's, and a lost connection is invalidated, as
    ``Connection.execute`` would do. Run inside a transaction begun on a Connection or a ``wela.db.Tx``,
    once its Session (if any) is flushed.
    """

    def __init__(self, stmt: Executable, dialect: Dialect) -> None:
        compiled = stmt.compile(dialect=dialect)
        self.sql = compiled.string
        self.dialect = dialect
        self.positional = compiled.positional
        names = compiled.positiontup if compiled.positional else list(compiled.binds)
        self.names = tuple(names)
        self.binds = tuple((name, compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect))
                           for name in names)
        columns = stmt.exported_columns if getattr(stmt, "exported_columns", None) is not None else ()
        processors = (column.type.dialect_impl(dialect).result_processor(dialect, None) for column in columns)
        self.results = tuple((i, process) for i, process in enumerate(processors) if process is not None)

    def rows(self, on: On, values: Mapping[str, Any]) -> list[tuple[Any, ...]]:
        found = self._execute(on, values, "all")
        return [self._processed(row) for row in found] if self.results else found

    def first(self, on: On, values: Mapping[str, Any]) -> Optional[tuple[Any, ...]]:
        """The first row, or None, read alone: ``fetchall`` would step SQLite once more (and let go of
        the GIL once more) only to find there is no second."""
        row = self._execute(on, values, "one")
        return self._processed(row) if row is not None and self.results else row

    def run(self, on: On, values: Mapping[str, Any]) -> None:
        self._execute(on, values, None)

    def _execute(self, on: On, values: Mapping[str, Any], fetch: Optional[str]) -> Any:
        """Run the statement; ``fetch`` "all" rows (a list), "one" (a row or None), or None."""
        bound = [process(values[name]) if process else values[name] for name, process in self.binds]
        params: Any = tuple(bound) if self.positional else dict(zip(self.names, bound))
        driver = driver_of(on)
        raw = driver.dbapi_connection
        cursor = raw.cursor()
        try:
            cursor.execute(self.sql, params)
            if fetch is None or not cursor.description:
                return [] if fetch == "all" else None
            return cursor.fetchall() if fetch == "all" else cursor.fetchone()
        except self.dialect.loaded_dbapi.Error as err:
            raise driver_error(self.dialect, err, driver, cursor, self.sql, params) from err
        finally:
            cursor.close()

    def _processed(self, row: Any) -> tuple[Any, ...]:
        """A row with each column that has a result processor (JSON, a UTC datetime…) passed through it."""
        values = list(row)
        for i, process in self.results:
            values[i] = process(values[i])
        return tuple(values)
