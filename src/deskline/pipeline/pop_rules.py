"""When an automatic screen pop is due (F7): pure rules over a call and its bound agents.

Automatic pops are for inbound calls only. Per bound extension (``pop_mode`` ``auto``):

- trigger ``ringing``: its leg is ringing — or, for a pop that could only be sent after a
  helpdesk lookup (``late``), the extension was rung and the call is still live;
- trigger ``answered``: the extension answered the call;
- trigger ``ended``: the call ended and the extension answered it, or was rung for it and
  nobody answered.

Manual pops (``pop_mode`` ``manual``) are sent when the agent asks; ``off`` never pops.
"""

from __future__ import annotations

from collections.abc import Iterable

from deskline.calls.model import Call, CallPhase, Direction, LegStatus
from deskline.pipeline.bindings import BoundAgent, PopMode
from deskline.pipeline.screen_pop import PopTrigger


def due_pops(call: Call, agents: Iterable[BoundAgent], *, late: bool = False) -> list[BoundAgent]:
    """The agents whose automatic pop is due now."""
    if call.direction is not Direction.INBOUND:
        return []
    return [agent for agent in agents if _due(call, agent, late)]


def _due(call: Call, agent: BoundAgent, late: bool) -> bool:
    if agent.pop_mode != PopMode.AUTO:
        return False
    extension = agent.extension
    leg = call.leg(extension)
    ended = call.phase is CallPhase.ENDED
    if agent.pop_trigger == PopTrigger.RINGING:
        if leg is None or ended:
            return False
        return late or leg.status is LegStatus.RINGING
    if agent.pop_trigger == PopTrigger.ANSWERED:
        return call.answered_by == extension and (not late or not ended)
    if agent.pop_trigger == PopTrigger.ENDED:
        if not ended:
            return False
        return call.answered_by == extension or (call.answered_by is None and leg is not None)
    return False
