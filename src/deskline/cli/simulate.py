"""``deskline simulate``: drive a running deskline with fake calls, no PBX needed.

    deskline simulate call --from +15551234567 --to 2005 --answer-after 2 --talk 5
    deskline simulate call --from +15551234567 --to 2005 --no-answer
    deskline simulate call --from +15551234567 --to 5550100 --queue support --agents 2006,2005
    deskline simulate call --outbound --from 2005 --to +15551234567

Events go to the generic webhook of the built-in ``simulator`` connection; without ``--token``
(or ``DESKLINE_SIMULATOR_TOKEN``) the URL and token are read from the local deskline.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Annotated

import typer
from rich.console import Console

from deskline.errors import DesklineError
from deskline.pbx.simulator.player import play
from deskline.pbx.simulator.scenario import CallScenario, Step, build_steps
from deskline.pbx.simulator.sender import WebhookSender
from deskline.settings import load_settings

app = typer.Typer(no_args_is_help=True)
console = Console(highlight=False)


async def _resolve_target(url: str | None, token: str | None) -> tuple[str, str]:
    if url is not None and token is not None:
        return url, token
    from deskline.pbx.simulator.local import local_base_url, local_simulator_target

    settings = load_settings()
    if token is not None:
        return url or local_base_url(settings), token
    local_url, local_token = await local_simulator_target(settings)
    return url or local_url, local_token


async def _run(scenario: CallScenario, speed: float, url: str | None, token: str | None) -> None:
    base_url, secret = await _resolve_target(url, token)
    steps = build_steps(scenario, datetime.now(UTC), speed=speed)
    sender = WebhookSender(base_url, secret)
    console.print(f"Simulating call [bold]{scenario.call_id}[/] → {sender.url}")

    async def deliver(step: Step) -> None:
        await sender(step)
        console.print(
            f"  [dim]+{step.offset:5.1f}s[/] {step.event['event']:<8} {step.description}",
            markup=True,
        )

    try:
        await play(steps, deliver)
    finally:
        await sender.aclose()
    console.print("Done: the call should now show in deskline.")


@app.command("call")
def call(
    from_: Annotated[
        str,
        typer.Option("--from", help="Caller: a number, or the agent's extension with --outbound."),
    ],
    to: Annotated[
        str,
        typer.Option(
            "--to", help="Callee: the extension (inbound), the number dialled (queue), or a number."
        ),
    ],
    answer_after: Annotated[
        float,
        typer.Option(
            help="Seconds of ringing before the answer "
            "(with --no-answer: before giving up; "
            "with --queue: per agent)."
        ),
    ] = 2.0,
    talk: Annotated[float, typer.Option(help="Seconds of conversation.")] = 5.0,
    no_answer: Annotated[bool, typer.Option("--no-answer", help="Nobody answers.")] = False,
    busy: Annotated[bool, typer.Option("--busy", help="The callee is busy.")] = False,
    queue: Annotated[str | None, typer.Option(help="Ring a queue's agents in turn.")] = None,
    agents: Annotated[
        str | None, typer.Option(help="Queue agents, e.g. 2006,2005; the last answers.")
    ] = None,
    outbound: Annotated[
        bool, typer.Option("--outbound", help="The agent --from calls the number --to.")
    ] = False,
    name: Annotated[str | None, typer.Option(help="The customer's display name.")] = None,
    speed: Annotated[float, typer.Option(help="Time factor: 10 plays ten times faster.")] = 1.0,
    url: Annotated[
        str | None, typer.Option(help="deskline's base URL (default: the local one).")
    ] = None,
    token: Annotated[
        str | None,
        typer.Option(envvar="DESKLINE_SIMULATOR_TOKEN", help="The simulator connection's token."),
    ] = None,
) -> None:
    """Play one call into a running deskline, printing each step."""
    members = tuple(a.strip() for a in (agents or "").split(",") if a.strip())
    try:
        scenario = CallScenario(
            caller=from_,
            callee=to,
            name=name,
            answer_after=answer_after,
            talk=talk,
            no_answer=no_answer,
            busy=busy,
            queue=queue,
            agents=members,
            outbound=outbound,
        )
        if speed <= 0:
            raise ValueError("--speed must be positive")
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None
    try:
        asyncio.run(_run(scenario, speed, url, token))
    except DesklineError as exc:
        console.print(f"[red]error:[/] {exc}")
        raise typer.Exit(1) from None
