"""`deskline template try`: run one scenario of a template against the real helpdesk.

Prints each request (secrets masked) and its status, then the outputs; ``--json`` prints the
outputs as one JSON object (a list of contacts for lookups, of users for UserAssociation);
``--dry-run`` renders the requests without sending them.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from deskline.connector import (
    Connector,
    JsonFileTokenStore,
    MemoryTokenStore,
    RequestLogEntry,
    ScenarioResult,
    TokenStore,
    code_from_redirect,
)
from deskline.errors import DesklineError
from deskline.templates.model import AuthType, HelpdeskTemplate, ScenarioId
from deskline.templates.validation import load_valid_template

DEFAULT_REDIRECT_URI = "http://127.0.0.1:8765/oauth/callback"


def try_template(
    file: Annotated[
        Path, typer.Argument(exists=True, dir_okay=False, readable=True, help="Template XML.")
    ],
    scenario: Annotated[
        str, typer.Option("--scenario", "-s", help="The scenario to run, e.g. SyncContactAuto.")
    ] = ScenarioId.SYNC_CONTACT_AUTO.value,
    values: Annotated[
        list[str] | None,
        typer.Option(
            "--set", help="NAME=VALUE: a custom field (domain, api_key…) or a variable (Phone…)."
        ),
    ] = None,
    token_file: Annotated[
        Path | None,
        typer.Option("--token-file", help="OAuth2 tokens: used if present, saved (mode 0600)."),
    ] = None,
    redirect_uri: Annotated[
        str,
        typer.Option("--redirect-uri", help="OAuth2 redirect URI registered with the helpdesk."),
    ] = DEFAULT_REDIRECT_URI,
    as_json: Annotated[bool, typer.Option("--json", help="Print the outputs as JSON.")] = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print the rendered requests without sending.")
    ] = False,
) -> None:
    """Run one scenario for real: auth, requests (following Next chains), outputs."""
    out = Console(highlight=False, soft_wrap=True)
    err = Console(stderr=True, highlight=False, soft_wrap=True)
    log = err if as_json else out
    try:
        template = load_valid_template(file.read_bytes(), str(file))
        fields, variables = _split_values(template, values or [])
        store: TokenStore = JsonFileTokenStore(token_file) if token_file else MemoryTokenStore()
        result = asyncio.run(
            _run(
                template,
                scenario,
                fields,
                variables,
                store,
                redirect_uri,
                dry_run,
                lambda entry: _print_request(log, entry, dry_run),
            )
        )
    except DesklineError as exc:
        err.print(f"[red]error:[/red] {exc}", markup=True, highlight=False)
        raise typer.Exit(1) from None
    if as_json:
        typer.echo(json.dumps(_json_output(result), indent=2, ensure_ascii=False, default=str))
    elif not dry_run:
        _print_result(out, result)


def _split_values(
    template: HelpdeskTemplate, pairs: list[str]
) -> tuple[dict[str, str], dict[str, object]]:
    field_names = {f.name for f in template.custom_fields}
    fields: dict[str, str] = {}
    variables: dict[str, object] = {}
    for pair in pairs:
        name, equals, value = pair.partition("=")
        if not equals or not name.strip():
            raise typer.BadParameter(f"--set expects NAME=VALUE, got {pair!r}")
        name = name.strip()
        if name in field_names:
            fields[name] = value
        else:
            variables[name] = (
                int(value) if value.isdigit() and name.endswith(("Unix", "Sec")) else value
            )
    return fields, variables


async def _run(
    template: HelpdeskTemplate,
    scenario: str,
    fields: dict[str, str],
    variables: dict[str, object],
    store: TokenStore,
    redirect_uri: str,
    dry_run: bool,
    on_request: Callable[[RequestLogEntry], None],
) -> ScenarioResult:
    async with Connector(
        template,
        fields,
        store,
        on_request=on_request,
        dry_run=dry_run,
    ) as connector:
        if template.auth.method is AuthType.OAUTH2 and not dry_run and await store.load() is None:
            request = connector.authorize_url(redirect_uri)
            typer.echo(
                f"Open this URL, allow access, then paste the code or the whole redirect "
                f"URL:\n\n  {request.url}\n",
                err=True,
            )
            pasted = typer.prompt("Code or redirect URL", err=True)
            code = code_from_redirect(pasted, request.state)
            await connector.exchange_code(code, redirect_uri, request.code_verifier)
            typer.echo("Authorized; tokens saved.", err=True)
        return await connector.run(scenario, variables)


def _print_request(console: Console, entry: RequestLogEntry, dry_run: bool) -> None:
    if entry.outcome == "skipped":
        console.print(f"[dim]- {entry.scenario_id}/{entry.request_name}: skipped (empty URL)[/dim]")
        return
    status = (
        "" if dry_run else f" → {entry.status or '-'} {entry.outcome} ({entry.duration_ms:g} ms)"
    )
    colour = "green" if entry.outcome in ("success", "dry-run") else "red"
    console.print(
        f"[bold]{entry.method}[/bold] {entry.url} [dim]({entry.scenario_id}/{entry.request_name})"
        f"[/dim][{colour}]{status}[/{colour}]",
        markup=True,
    )
    for name, value in entry.headers:
        console.print(f"  [dim]{name}: {value}[/dim]", markup=True)
    if entry.body:
        console.print(f"  [dim]{entry.body}[/dim]", markup=True)
    if entry.note and entry.outcome not in ("success", "dry-run"):
        console.print(f"  [red]{entry.note}[/red]", markup=True)


def _json_output(result: ScenarioResult) -> object:
    if result.scenario_id in (ScenarioId.SYNC_CONTACT_AUTO, ScenarioId.SEARCH_CONTACT):
        return [c.to_json() for c in result.contacts]
    if result.scenario_id == ScenarioId.USER_ASSOCIATION:
        return [u.to_json() for u in result.users]
    return result.outputs


def _print_result(console: Console, result: ScenarioResult) -> None:
    for warning in result.warnings:
        console.print(f"[yellow]warning:[/yellow] {warning}", markup=True)
    if result.scenario_id in (ScenarioId.SYNC_CONTACT_AUTO, ScenarioId.SEARCH_CONTACT):
        table = Table(title=f"{len(result.contacts)} contact(s)", title_justify="left")
        for column in ("Type", "Id", "Name", "E-mail", "Phones", "Screen pop"):
            table.add_column(column)
        for c in result.contacts:
            phones = ", ".join(f"{k}: {v}" for k, v in c.phones.items())
            table.add_row(
                c.contact_type, c.id, c.display_name, c.email or "", phones, c.popup_url or ""
            )
        console.print(table)
        return
    if result.scenario_id == ScenarioId.USER_ASSOCIATION:
        table = Table(title=f"{len(result.users)} user(s)", title_justify="left")
        for column in ("Id", "First name", "Last name", "E-mail"):
            table.add_column(column)
        for u in result.users:
            table.add_row(u.id, u.first_name or "", u.last_name or "", u.email or "")
        console.print(table)
        return
    table = Table(title="Outputs", title_justify="left", show_header=False)
    table.add_column(style="bold")
    table.add_column()
    for name, value in result.outputs.items():
        table.add_row(name, json.dumps(value, ensure_ascii=False, default=str))
    console.print(table if result.outputs else "(no outputs)")
