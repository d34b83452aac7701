"""`deskline db`: apply, undo and inspect the database migrations.

The database is the one of the settings (``DESKLINE_DATABASE_URL``, or SQLite in the data
directory); ``--url`` overrides it.
"""

from __future__ import annotations

from typing import Annotated

import typer

from deskline.cli.database import UrlOption, run_on_database
from deskline.store import migrate
from deskline.store.db import Database

app = typer.Typer(no_args_is_help=True)


@app.command()
def upgrade(
    revision: Annotated[str, typer.Argument(help="Target revision.")] = "head",
    url: UrlOption = None,
) -> None:
    """Apply the migrations up to REVISION (default: the latest)."""
    current = run_on_database(url, lambda db: _upgrade_and_report(db, revision))
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
    current = run_on_database(url, lambda db: _downgrade_and_report(db, revision))
    typer.echo(f"database at revision {current or 'base (empty)'}")


async def _downgrade_and_report(db: Database, revision: str) -> str | None:
    await migrate.downgrade(db, revision)
    return await migrate.current_revision(db)


@app.command()
def current(url: UrlOption = None) -> None:
    """Show the database's revision and whether it is the latest."""
    revision = run_on_database(url, migrate.current_revision)
    head = migrate.head_revision()
    if revision is None:
        typer.echo(f"database not migrated (latest: {head}); run `deskline db upgrade`")
    elif revision == head:
        typer.echo(f"{revision} (latest)")
    else:
        typer.echo(f"{revision} (latest: {head}; run `deskline db upgrade`)")
