"""``deskline admin``: set an admin's password, create an API token (on the local database)."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer

from deskline.errors import DesklineError
from deskline.runtime.accounts import Passwords, new_api_token, set_password
from deskline.settings import load_settings
from deskline.store.db import Database
from deskline.store.repositories import users
from deskline.web.auth.sessions import end_sessions

app = typer.Typer(no_args_is_help=True)


def _database() -> Database:
    try:
        return Database.from_settings(load_settings())
    except DesklineError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc


@app.command("set-password")
def set_password_command(
    username: Annotated[str, typer.Argument(help="The admin (created if missing).")] = "admin",
    password: Annotated[
        str,
        typer.Option(
            prompt=True,
            hide_input=True,
            confirmation_prompt=True,
            envvar="DESKLINE_NEW_PASSWORD",
            help="The new password (asked for when not given).",
        ),
    ] = "",
) -> None:
    """Set an admin's password and end their sessions."""

    async def run() -> None:
        db = _database()
        try:
            async with db.transaction() as session:
                user = await set_password(session, Passwords(), username, password)
                await end_sessions(session, user.id)
        finally:
            await db.dispose()

    try:
        asyncio.run(run())
    except (ValueError, DesklineError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc
    typer.echo(f"password of {username!r} set")


@app.command("create-token")
def create_token_command(
    name: Annotated[str, typer.Argument(help="What the token is for.")],
    username: Annotated[str, typer.Option(help="The admin who owns the token.")] = "admin",
) -> None:
    """Create an API token (printed once) for scripts: Authorization: Bearer <token>."""

    async def run() -> str:
        db = _database()
        try:
            async with db.transaction() as session:
                user = await users.user_by_username(session, username)
                if user is None:
                    raise DesklineError(f"no admin named {username!r}")
                plain, digest = new_api_token()
                await users.create_token(session, user.id, name, digest)
                return plain
        finally:
            await db.dispose()

    try:
        token = asyncio.run(run())
    except DesklineError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc
    typer.echo(token)
