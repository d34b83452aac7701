"""``deskline pbx``: troubleshooting tools for the PBX side.

``deskline pbx replay FILE`` replays recorded AMI traffic (a capture with ``### t+N.NNNs``
separators, or a plain AMI dump) through the same translator and call tracker the server
uses, and prints the calls: one JSON object per line (``--format json``, the fields of
``Call.summary()``) or a table.
"""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from deskline.calls.model import Call
from deskline.pbx.asterisk.config import DEFAULT_INBOUND_CONTEXTS, DEFAULT_OUTBOUND_CONTEXTS
from deskline.pbx.asterisk.dialplan import Dialplan
from deskline.pbx.asterisk.replay import CaptureError, replay_file
from deskline.phones import DEFAULT_EXTENSION_PATTERN

app = typer.Typer(no_args_is_help=True)


class OutputFormat(StrEnum):
    JSON = "json"
    TABLE = "table"


@app.command()
def replay(
    file: Annotated[Path, typer.Argument(help="AMI capture or dump to replay.")],
    output: Annotated[
        OutputFormat, typer.Option("--format", "-f", help="json (one call per line) or table.")
    ] = OutputFormat.JSON,
    country: Annotated[str, typer.Option(help="Default country for numbers without a +.")] = "US",
    timezone: Annotated[str, typer.Option(help="The PBX's time zone (Cdr times).")] = "UTC",
    inbound_context: Annotated[
        list[str] | None,
        typer.Option(help="Inbound context pattern (repeat; replaces the defaults)."),
    ] = None,
    outbound_context: Annotated[
        list[str] | None,
        typer.Option(help="Outbound context pattern (repeat; replaces the defaults)."),
    ] = None,
    extension_pattern: Annotated[
        str, typer.Option(help="Regex of an internal extension.")
    ] = DEFAULT_EXTENSION_PATTERN,
) -> None:
    """Replay recorded AMI traffic and print the calls deskline makes of it."""
    err = Console(stderr=True)
    try:
        dialplan = Dialplan(
            inbound_contexts=inbound_context or DEFAULT_INBOUND_CONTEXTS,
            outbound_contexts=outbound_context or DEFAULT_OUTBOUND_CONTEXTS,
            extension_pattern=extension_pattern,
            default_country=country,
            pbx_timezone=timezone,
        )
    except (ValueError, LookupError) as exc:
        err.print(f"[red]error:[/red] invalid option: {exc}")
        raise typer.Exit(1) from exc
    try:
        result = replay_file(file, dialplan)
    except CaptureError as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(1) from exc
    for note in result.notes:
        err.print(f"note: {note}")
    if output is OutputFormat.JSON:
        for call in result.calls:
            typer.echo(json.dumps(call.summary(), ensure_ascii=False))
    else:
        Console().print(_table(result.calls, file.name))


def _table(calls: list[Call], title: str) -> Table:
    table = Table(title=f"{title}: {len(calls)} call(s)")
    for column in (
        "call",
        "direction",
        "caller",
        "callee",
        "queue",
        "status",
        "answered by",
        "talk s",
        "legs",
        "transfers",
        "recording",
    ):
        table.add_column(column)
    for call in calls:
        legs = ", ".join(
            f"{leg.extension} {leg.status.value}"
            + (f" {leg.ring_seconds:.1f}s" if leg.ring_seconds is not None else "")
            for leg in call.legs
        )
        transfers = ", ".join(f"{t.from_extension or '?'}→{t.to}" for t in call.transfers)
        table.add_row(
            call.call_id,
            call.direction.value if call.direction else "",
            _party(call.caller.number, call.caller.name),
            _party(call.callee.number, call.callee.name),
            call.queue or "",
            call.status.value if call.status else "",
            call.answered_by or "",
            str(call.talk_seconds),
            legs,
            transfers,
            call.recording or "",
        )
    return table


def _party(number: str | None, name: str | None) -> str:
    if number and name:
        return f"{name} <{number}>"
    return number or name or ""
