"""What the commands that work on the database directly share: the ``--url`` option and a
runner that opens the database, runs one action and turns failures into one-line errors."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Annotated, TypeVar

import typer
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from deskline.errors import DesklineError
from deskline.settings import load_settings
from deskline.store.db import Database

T = TypeVar("T")

UrlOption = Annotated[
    str | None,
    typer.Option("--url", help="Database URL (default: from the settings).", show_default=False),
]


def run_on_database(
    url: str | None,
    action: Callable[[Database], Awaitable[T]],
    unreachable: str = "cannot reach the database {where}",
) -> T:
    """Run ``action`` on the database of ``url`` (default: the settings'); exit 1 with a plain
    message (``unreachable`` formatted with the password-less URL) when it fails."""
    try:
        db_url = url or load_settings().effective_database_url
    except DesklineError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc

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
        where = make_url(db_url).render_as_string(hide_password=True)
        typer.echo(f"error: {unreachable.format(where=where)}: {exc}", err=True)
        raise typer.Exit(1) from exc
