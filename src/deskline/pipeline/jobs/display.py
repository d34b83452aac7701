"""``helpdesk.screen_pop`` (F29): the helpdesk's own screen pop for one agent — Zendesk Talk
Partner Edition's display endpoint — run through the template's ScreenPop scenario."""

from __future__ import annotations

from deskline.pipeline.actions import record_action
from deskline.pipeline.jobs.common import CallJob
from deskline.pipeline.jobs.contacts import known_or_indexed_contact
from deskline.pipeline.variables import communication_type
from deskline.templates.model import ScenarioId


async def run_display(job: CallJob) -> str | None:
    extension = str(job.payload.get("extension", ""))
    action = f"display:{extension}"
    if job.helpdesk.template.scenario(ScenarioId.SCREEN_POP) is None:
        return "the template has no ScreenPop scenario"
    done = job.action(action)
    bound = await job.bound_agents()
    if done is not None:
        return "displayed before"
    agent = bound.get(extension)
    contact = await known_or_indexed_contact(job)
    if agent is None or not agent.agent.user_id or contact is None:
        return "no agent user or contact to display"
    ticket = job.action("ticket")
    variables: dict[str, object] = {
        "CallId": f"{job.source}:{job.call_id}",
        "AgentUserId": agent.agent.user_id,
        "AgentEmail": agent.agent.email or "",
        "ContactId": contact.remote_id,
        "TicketId": (ticket.remote_id or "") if ticket else "",
        "CallerNumber": job.call.caller.raw or job.call.caller.number or "",
        "CalleeNumber": job.call.callee.raw or job.call.callee.number or "",
        "Communication_Type": communication_type(job.call),
        "PopTrigger": agent.pop_trigger,
    }
    connector = await job.connector()
    async with job.requests():
        await connector.run(ScenarioId.SCREEN_POP, variables)
    async with job.pipeline.db.transaction() as session:
        row = await record_action(
            session,
            job.source,
            job.call_id,
            action,
            remote_id=contact.remote_id,
            detail={"agent_user_id": agent.agent.user_id},
        )
    job.remember(row)
    return f"displayed contact {contact.remote_id} to user {agent.agent.user_id}"
