"""The audit that decides ``lost`` and ``duplicated``: it must see each kind of damage."""

from __future__ import annotations

from collections import Counter
from typing import Any

from bench.harness.audit import audit, request_kinds
from bench.harness.calls import PlannedCall
from bench.harness.driver import DrivenCall


def driven(number: str, call_id: str, *, error: str | None = None) -> DrivenCall:
    return DrivenCall(
        PlannedCall(number, "2005", True), call_id, delivered=error is None, error=error
    )


def ticket(number: str, journals: int = 1) -> dict[str, Any]:
    comments = [{"type": "Comment"}] + [{"type": "VoiceComment"}] * journals
    return {"subject": f"Inbound Answered- from Caller<{number}> to Kristin Hale<2005>",
            "comments": comments}  # fmt: skip


def user(number: str) -> dict[str, Any]:
    return {"role": "end-user", "phone": number}


GOOD, OTHER = "+12122010001", "+12122010002"


def test_a_call_with_one_of_everything_is_neither_lost_nor_duplicated() -> None:
    state = {"tickets": [ticket(GOOD)], "users": [user(GOOD), {"role": "agent", "phone": None}]}
    result = audit([driven(GOOD, "c1")], state, Counter({"c1": 1}))
    assert (result.lost, result.duplicated) == (0, 0)


def test_missing_ticket_journal_record_or_delivery_is_lost() -> None:
    calls = [driven(GOOD, "c1"), driven(OTHER, "c2")]
    state = {"tickets": [ticket(GOOD, journals=0)], "users": [user(GOOD), user(OTHER)]}
    result = audit(calls, state, Counter({"c1": 1}))
    assert result.lost == 2
    assert result.problems == Counter({"no journal": 2, "no record": 1, "no ticket": 1})

    undelivered = audit([driven(GOOD, "c1", error="503")], {"tickets": [ticket(GOOD)],
                        "users": [user(GOOD)]}, Counter({"c1": 1}))  # fmt: skip
    assert undelivered.lost == 1


def test_two_tickets_two_journals_or_two_contacts_are_duplicates() -> None:
    calls = [driven(GOOD, "c1"), driven(OTHER, "c2")]
    state = {
        "tickets": [ticket(GOOD), ticket(GOOD), ticket(OTHER, journals=2)],
        "users": [user(GOOD), user(OTHER), user(OTHER)],
    }
    result = audit(calls, state, Counter({"c1": 1, "c2": 1}))
    assert (result.lost, result.duplicated) == (0, 2)
    assert result.problems == Counter({"ticket x2": 1, "journal x2": 2, "user x2": 1})


def test_a_ticket_is_counted_for_the_number_in_its_subject_only() -> None:
    state = {"tickets": [ticket(OTHER)], "users": [user(GOOD), user(OTHER)]}
    assert audit([driven(GOOD, "c1")], state, Counter({"c1": 1})).lost == 1


def test_request_kinds_group_api_requests_by_path_without_ids() -> None:
    requests = [
        {"method": "GET", "path": "/api/v2/search.json"},
        {"method": "PUT", "path": "/api/v2/tickets/17.json"},
        {"method": "PUT", "path": "/api/v2/tickets/18"},
        {"method": "POST", "path": "/oauth/tokens"},
    ]
    assert request_kinds(requests) == Counter(
        {"GET /api/v2/search": 1, "PUT /api/v2/tickets/{id}": 2}
    )
