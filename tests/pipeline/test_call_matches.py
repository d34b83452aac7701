"""One contact per call: the contact the caller matched in the local index when the call rang
is the one its pop shows and its ticket names, even when the index changes during the call;
a process that did not see the ring (a separate worker) reads the index as it is."""

from __future__ import annotations

import pytest

from deskline.connector import Contact
from deskline.pipeline.service import CallMatches
from tests.pipeline.harness import Desk, inbound_answered
from tests.pipeline.test_pops_sync_recordings import Tab

RUTH = "+15135557611"


async def index(desk: Desk, name: str) -> str:
    """A Zendesk end-user with Ruth's number, indexed (the newest indexed one wins a match)."""
    user = desk.emulator.add_user(name, phone=RUTH)
    async with desk.db.transaction() as session:
        await desk.pipeline.index.upsert(
            session,
            desk.connection_id,
            Contact("End-user", str(user.id), first_name=name, phones={"BusinessNumber": RUTH}),
        )
    return str(user.id)


@pytest.mark.parametrize("rang_here", [True, False])
async def test_the_ticket_names_the_contact_the_call_rang_with(desk: Desk, rang_here: bool) -> None:
    tab = Tab()
    desk.pipeline.hub.connect("2005", tab)
    ruth = await index(desk, "Ruth Baker")
    events = inbound_answered("c1", RUTH)
    await desk.events(*events[:2])  # ringing: popped from the index
    [pop] = tab.messages
    assert pop["contact"]["id"] == ruth

    newer = await index(desk, "Ruth Baker-Hale")  # e.g. an index refresh during the call
    if not rang_here:  # the ticket job runs in a process that did not see the ring
        desk.pipeline.call_matches = CallMatches()
    await desk.events(*events[2:])
    await desk.settle()
    await desk.work()

    [ticket] = desk.tickets()
    assert str(ticket["requester_id"]) == (ruth if rang_here else newer)
    assert len(tab.messages) == 1


def test_call_matches_keep_only_matches_and_forget_the_oldest_calls() -> None:
    from deskline.pipeline.contact_index import IndexedContact, IndexMatch

    matches = CallMatches(limit=2)
    found = IndexMatch(IndexedContact("7"), "e164", 1)
    matches.keep(1, "pbx", "miss", IndexMatch())
    assert matches.get(1, "pbx", "miss") is None
    for call in ("a", "b", "c"):
        matches.keep(1, "pbx", call, found)
    assert matches.get(1, "pbx", "a") is None  # the oldest went
    assert matches.get(1, "pbx", "c") == found
    assert matches.get(2, "pbx", "c") is None  # another helpdesk connection
