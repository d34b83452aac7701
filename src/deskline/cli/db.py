"""`deskline db`: apply, undo and inspect the database migrations.

The database is the one of the settings (``DESKLINE_DATABASE_URL``, or SQLite in the data
directory); ``--url`` overrides it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Annotated, TypeVar

import typer
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from deskline.errors import DesklineError
from deskline.settings import load_settings
from deskline.store import migrate
from deskline.store.db import Database

app = typer.Typer(no_args_is_help=True)

T = TypeVar("T")

UrlOption = Annotated[
    str | None,
    typer.Option("--url", help="Database URL (default: from the settings).", show_default=False),
]


def _run(url: str | None, action: Callable[[Database], Awaitable[T]]) -> T:
    try:
        db_url = url or load_settings().effective_database_url
    except DesklineError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc
    db_name = make_url(db_url).render_as_string(hide_password=True)

    async def main() -> T:
        db = Database(db_url)
        try:
            return await action(db)
        finally:
            await db.dispose()

    try:
        return asyncio.run(main())
    except DesklineError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc
    except (OSError, SQLAlchemyError) as exc:
        typer.echo(f"error: cannot reach the database {db_name}: {exc}", err=True)
        raise typer.Exit(1) from exc


@app.command()
def upgrade(
    revision: Annotated[str, typer.Argument(help="Target revision.")] = "head",
    url: UrlOption = None,
) -> None:
    """Apply the migrations up to REVISION (default: the latest)."""
    current = _run(url, lambda db: _upgrade_and_report(db, revision))
    typer.echo(f"database at revision {current}")


async def _upgrade_and_report(db: Database, revision: str) -> str | None:
    await migrate.upgrade(db, revision)
    return await migrate.current_revision(db)


@app.command()
def downgrade(
    revision: Annotated[str, typer.Argument(help="Target revision, or 'base' for none.")],
    url: UrlOption = None,
) -> None:
    """Undo the migrations after REVISION."""
    current = _run(url, lambda db: _downgrade_and_report(db, revision))
    typer.echo(f"database at revision {current or 'base (empty)'}")


async def _downgrade_and_report(db: Database, revision: str) -> str | None:
    await migrate.downgrade(db, revision)
    return await migrate.current_revision(db)


@app.command()
def current(url: UrlOption = None) -> None:
    """Show the database's revision and whether it is the latest."""
    revision = _run(url, migrate.current_revision)
    head = migrate.head_revision()
    if revision is None:
        typer.echo(f"database not migrated (latest: {head}); run `deskline db upgrade`")
    elif revision == head:
        typer.echo(f"{revision} (latest)")
    else:
        typer.echo(f"{revision} (latest: {head}; run `deskline db upgrade`)")
