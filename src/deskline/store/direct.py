"""Hot statements without SQLAlchemy's execution layer: compiled once, run on the driver.

A Core statement run through a session costs SQLAlchemy about 100 microseconds before and after
the driver's few: the session finds its connection, the statement's cache key is computed, its
compiled form looked up, an execution context made, every parameter processed through the
compiled statement's machinery, a result object built — for a statement that is the same every
time but for its parameters. A call takes about twenty such statements.

:class:`DirectStatement` keeps the compiled SQL of one statement per dialect, with what its
parameters and columns need (the types' own bind and result processors, as SQLAlchemy would
apply them). On an inline SQLite connection (:mod:`deskline.store.sqlite_inline`) it runs on the
``sqlite3`` connection of the session's transaction directly, or of a direct transaction
(:mod:`deskline.store.direct_transaction`, no session at all); elsewhere (PostgreSQL, a
threaded SQLite) through SQLAlchemy, so the statement and its results are the same everywhere:

    _FINISH = DirectStatement(update(JOBS).where(JOBS.c.id == bindparam("job_id")).values(...))
    rows = await _FINISH.execute(session, {"job_id": 7, ...})
    rows.rowcount

What SQLAlchemy's execution did besides, it still does here: a session's pending objects are
flushed first (autoflush), errors are SQLAlchemy's (``IntegrityError`` …), the tables a
statement writes are noted for the read caches (:mod:`deskline.store.changes`), a long run of
statements lets the loop have its turn. What it cannot do is rejected when the statement is
made: expanding (``IN``) parameters, and an ``INSERT`` (``UPDATE``) that leaves out a column
whose default (``onupdate``) SQLAlchemy would have filled in.
"""

from __future__ import annotations

import sqlite3
from collections import namedtuple
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from keyword import iskeyword
from typing import Any, cast

from sqlalchemy import Insert, Update, bindparam
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.sql import Executable
from sqlalchemy.sql.elements import BindParameter

from deskline.store.changes import note_written, transaction_connection, written_table
from deskline.store.direct_transaction import DirectTransaction
from deskline.store.sqlite_inline import InlineAdaptedConnection, InlineConnection

Processor = Callable[[Any], Any] | None

_NOT_GIVEN = object()


class DirectRows:
    """What a :class:`DirectStatement` returned: its rows (named tuples) and ``rowcount``."""

    __slots__ = ("rowcount", "rows")

    def __init__(self, rows: list[Any], rowcount: int) -> None:
        self.rows = rows
        self.rowcount = rowcount

    def __iter__(self) -> Iterator[Any]:
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)

    def __repr__(self) -> str:
        return f"DirectRows({len(self.rows)} rows, rowcount={self.rowcount})"

    def first(self) -> Any | None:
        return self.rows[0] if self.rows else None

    def scalar(self) -> Any | None:
        return self.rows[0][0] if self.rows else None

    def scalars(self) -> list[Any]:
        return [row[0] for row in self.rows]


@dataclass(frozen=True, slots=True)
class _Parameter:
    name: str
    processor: Processor
    value: Any  # _NOT_GIVEN: the caller's parameters hold it; else the statement's own


@dataclass(frozen=True, slots=True)
class _Compiled:
    sql: str
    parameters: tuple[_Parameter, ...]
    row: Callable[..., Any] | None  # the named tuple of a row; None: returns no rows
    columns: tuple[Processor, ...]
    writes: str | None  # the table it writes (for the read caches), worked out once


class DirectStatement:
    """One Core statement, compiled once per dialect and run on the driver where it can (see
    the module). ``statement`` may also be a function of the dialect's name that builds it
    (an ``INSERT … ON CONFLICT`` is each dialect's own construct); it is called once per
    dialect."""

    def __init__(self, statement: Executable | Callable[[str], Executable]) -> None:
        self._build = statement if callable(statement) else None
        self._statements: dict[str, Executable] = {}
        self._compiled: dict[str, _Compiled] = {}
        self._rows: dict[str, Callable[..., Any] | None] = {}
        if not callable(statement):
            self._check(statement)
            self._fixed: Executable | None = statement
        else:
            self._fixed = None

    def __repr__(self) -> str:
        shown = self._fixed if self._fixed is not None else self._build
        return f"DirectStatement({str(shown)[:60]!r}…)"

    def statement(self, dialect: str) -> Executable:
        """The statement as ``dialect`` runs it."""
        if self._fixed is not None:
            return self._fixed
        found = self._statements.get(dialect)
        if found is None:
            assert self._build is not None
            found = self._statements[dialect] = self._check(self._build(dialect))
        return found

    @staticmethod
    def _check(statement: Executable) -> Executable:
        _column_keys(statement)
        if isinstance(statement, Insert | Update):
            _check_defaults(statement)
        return statement

    async def execute(
        self,
        on: AsyncSession | AsyncConnection | DirectTransaction,
        parameters: Mapping[str, Any] | None = None,
    ) -> DirectRows:
        """Run the statement in ``on``'s transaction (a session's is begun if it is not)."""
        if isinstance(on, DirectTransaction):
            return await self._on_driver(on.inline, on.dialect, on, parameters)
        connection = on if isinstance(on, AsyncConnection) else await _connection_of(on)
        sync = connection.sync_connection
        assert sync is not None
        driver: Any = sync.connection.dbapi_connection
        if not isinstance(driver, InlineAdaptedConnection):
            return await self._through_sqlalchemy(connection, parameters)
        return await self._on_driver(driver.inline, sync.dialect, sync, parameters)

    async def _on_driver(
        self,
        inline: InlineConnection,
        dialect: Dialect,
        noted: Any,
        parameters: Mapping[str, Any] | None,
    ) -> DirectRows:
        """On the inline connection; what it writes is noted in ``noted.info``."""
        compiled = self.compiled(dialect)
        arguments = _arguments(compiled, parameters or {})
        if compiled.writes is not None:
            note_written(noted, compiled.writes)
        try:
            cursor = await inline.run(compiled.sql, arguments)
            fetched = cursor.fetchall() if compiled.row is not None else []
        except sqlite3.Error as error:
            raise DBAPIError.instance(
                compiled.sql, arguments, error, sqlite3.Error, dialect=dialect
            ) from error
        rowcount = cursor.rowcount
        if compiled.row is None:
            return DirectRows([], rowcount)
        return DirectRows([_row(compiled, values) for values in fetched], rowcount)

    def compiled(self, dialect: Dialect) -> _Compiled:
        found = self._compiled.get(dialect.name)
        if found is None:
            statement = self.statement(dialect.name)
            found = _compile(statement, dialect, self.row(dialect.name))
            self._compiled[dialect.name] = found
        return found

    def row(self, dialect: str) -> Callable[..., Any] | None:
        """The named tuple of the statement's rows as ``dialect`` runs it (None: no rows)."""
        if dialect not in self._rows:
            self._rows[dialect] = _row_shape(_column_keys(self.statement(dialect)))
        return self._rows[dialect]

    async def _through_sqlalchemy(
        self, connection: AsyncConnection, parameters: Mapping[str, Any] | None
    ) -> DirectRows:
        dialect = connection.dialect.name
        result = await connection.execute(self.statement(dialect), dict(parameters or {}))
        row = self.row(dialect)
        if row is None:  # (an INSERT may still return its new key: SQLAlchemy's own)
            return DirectRows([], result.rowcount)
        return DirectRows([row(*values) for values in result.all()], result.rowcount)


async def _connection_of(session: AsyncSession) -> AsyncConnection:
    """The connection of the session's transaction (begun if it is not), after flushing what
    the session holds as it would before a statement of its own."""
    sync_session = session.sync_session
    if sync_session.autoflush and not sync_session._is_clean():
        await session.flush()
    return await transaction_connection(session)


def _arguments(compiled: _Compiled, parameters: Mapping[str, Any]) -> list[Any]:
    arguments = []
    for parameter in compiled.parameters:
        if parameter.value is not _NOT_GIVEN:  # a value of the statement itself
            arguments.append(parameter.value)
            continue
        try:
            value = parameters[parameter.name]
        except KeyError:
            raise KeyError(f"the statement needs the parameter {parameter.name!r}") from None
        arguments.append(value if parameter.processor is None else parameter.processor(value))
    return arguments


def _row(compiled: _Compiled, values: Sequence[Any]) -> Any:
    assert compiled.row is not None
    return compiled.row(
        *(
            value if processor is None or value is None else processor(value)
            for processor, value in zip(compiled.columns, values, strict=True)
        )
    )


class DirectStatements:
    """Direct statements that differ only in the length of a list parameter (``IN`` of n
    values, see :func:`listed`) or in their rows (a multi-row ``VALUES``): ``build(n)`` makes
    the one for n (a statement, or one per dialect as :class:`DirectStatement` takes), kept
    for up to ``longest``."""

    def __init__(
        self,
        build: Callable[[int], Executable | Callable[[str], Executable]],
        *,
        longest: int = 64,
    ) -> None:
        self._build = build
        self._longest = longest
        self._made: dict[int, DirectStatement] = {}

    def __repr__(self) -> str:
        return f"DirectStatements({self._build!r}, made for {sorted(self._made)})"

    def __call__(self, count: int) -> DirectStatement:
        found = self._made.get(count)
        if found is None:
            found = DirectStatement(self._build(count))
            if count <= self._longest:  # longer lists are rare: made each time, not kept
                self._made[count] = found
        return found


def listed(name: str, count: int) -> list[BindParameter[Any]]:
    """``count`` parameters ``name_0`` … for ``IN (…)`` (their values: :func:`spread`)."""
    return [bindparam(f"{name}_{index}") for index in range(count)]


def spread(name: str, values: Sequence[Any]) -> dict[str, Any]:
    """The parameters of :func:`listed` for ``values``."""
    return {f"{name}_{index}": value for index, value in enumerate(values)}


def bound(*columns: str) -> dict[str, BindParameter[Any]]:
    """``{column: bindparam(column)}``: the VALUES (or SET) of a direct statement whose
    parameters are named after its columns."""
    return {column: bindparam(column) for column in columns}


def _column_keys(statement: Executable) -> tuple[str, ...]:
    columns = getattr(statement, "exported_columns", None) or ()
    keys = tuple(column.key for column in columns)
    for key in keys:
        if not key.isidentifier() or iskeyword(key) or key.startswith("_"):
            raise ValueError(f"a direct statement's column needs a plain name, not {key!r}")
        if key in ("count", "index"):
            raise ValueError(f"a direct statement's column may not be named {key!r}")
    return keys


def _row_shape(keys: tuple[str, ...]) -> Callable[..., Any] | None:
    return namedtuple("Row", keys) if keys else None


def _compile(statement: Executable, dialect: Dialect, row: Callable[..., Any] | None) -> _Compiled:
    """The statement for a ``qmark`` driver (SQLite), with its parameters in order."""
    compiled: Any = cast(Any, statement).compile(dialect=dialect)
    assert compiled.positional, "direct statements run on positional drivers"
    parameters = []
    for name in compiled.positiontup:
        bind: BindParameter[Any] = compiled.binds[name]
        if bind.expanding or bind.literal_execute:
            raise ValueError(f"a direct statement cannot expand the parameter {name!r}")
        processor = bind.type._cached_bind_processor(dialect)
        if bind.required:
            parameters.append(_Parameter(bind.key, processor, _NOT_GIVEN))
        else:
            value = bind.effective_value
            parameters.append(
                _Parameter(bind.key, None, value if processor is None else processor(value))
            )
    columns = tuple(
        column.type._cached_result_processor(dialect, None)
        for column in getattr(statement, "exported_columns", None) or ()
    )
    return _Compiled(
        compiled.string, tuple(parameters), row, columns, written_table(compiled.string)
    )


def _check_defaults(statement: Insert | Update) -> None:
    """An INSERT must give every column SQLAlchemy would have given a Python-side default, an
    UPDATE every column with an ``onupdate``: run directly, nobody fills them in."""
    if isinstance(statement, Insert) and statement._multi_values:
        rows = [row for values in statement._multi_values for row in values]
        named = set.intersection(*({getattr(c, "key", c) for c in row} for row in rows))
    else:
        named = {getattr(column, "key", column) for column in (statement._values or {})}
    table = statement.table
    for column in getattr(table, "columns", ()):
        default = column.default if isinstance(statement, Insert) else column.onupdate
        if default is not None and not default.is_sequence and column.key not in named:
            raise ValueError(f"a direct statement on {table} must give {column.key!r}")
