"""The variables deskline provides to each scenario, with what they hold.

This catalogue is the single source for validation ("is this variable defined here?") and for
the documentation tables in docs/templates.md (a test keeps them in step). Besides these, every
scenario sees: each custom field by its Name, the root Parameters, ``AccessToken``, the outputs
of FollowUpRequests, the scenario's own Parameters (by Name), and the Outputs of the requests
that ran before in the same chain.
"""

from __future__ import annotations

from collections.abc import Mapping

from deskline.templates.model.vocabulary import ScenarioId

EVERYWHERE: Mapping[str, str] = {
    "AccessToken": "the current access token (OAuth2, bearer token, or set by a follow-up request)",
}

_LOOKUP: Mapping[str, str] = {
    "Phone": "the number to look up (the caller's number, or the one the agent typed)",
    "CallerNumber": "the caller's number as the PBX sent it",
    "CallerDisplayName": "the caller's name as the PBX sent it (may be empty)",
    "CalleeNumber": "the called number",
    "SearchValue": "what the agent typed into the manual search (SearchContact)",
}

_CALL: Mapping[str, str] = {
    "CallId": "deskline's id of the call (stable across retries; good for idempotency)",
    "Communication_Type": "Inbound or Outbound",
    "Call_Status": "Answered, No Answer, Busy, Failed or Voicemail",
    "Call_Log_Status": "the call's result as logged: Answered, Missed, No Answer, Busy, Failed",
    "Call_From": "the caller as Name<number> or <number>",
    "Call_To": "the callee as Name<number> or <number>",
    "CallerNumber": "the caller's number",
    "CalleeNumber": "the callee's number",
    "CallerDisplayName": "the caller's name as the PBX sent it (may be empty)",
    "Time": "the call's start time in the PBX time zone (yyyy-MM-dd HH:mm:ss)",
    "StartTimeUnix": "the call's start time in Unix seconds (a number)",
    "Talk_Duration": "the talk time as HH:mm:ss",
    "Talk_Duration_Sec": "the talk time in seconds (a number)",
    "ContactId": "the helpdesk id of the matched or created contact",
    "ContactNumber": "the contact's number used on the call",
    "AgentUserId": "the helpdesk user id of the agent who answered (or placed) the call",
    "AgentEmail": "the e-mail of that helpdesk user",
    "IdempotencyKey": "a key unique to this call and action, the same on every retry (send it "
    "as the helpdesk's idempotency key, e.g. Zendesk's Idempotency-Key header)",
    "Subject": "the Subject parameter, rendered first",
    "Description": "the Description parameter, rendered first",
}

_JOURNAL: Mapping[str, str] = {
    **_CALL,
    "RecordPath": "deskline's signed URL of the call recording, or empty",
    "TicketId": "the ticket created for this call (or the TicketId parameter)",
    "Owner": "the helpdesk user id of the answering agent (= AgentUserId)",
    "WhoModule": "the contact type the contact was found as (its request Name)",
}

BUILTIN_VARIABLES: Mapping[ScenarioId, Mapping[str, str]] = {
    ScenarioId.AUTH_METHOD: {
        "RedirectUri": "deskline's OAuth2 callback URL (register it with the helpdesk)",
        "State": "the opaque state of this authorization (deskline adds it if not used)",
        "RefreshToken": "the current refresh token (for RefreshTokenBody)",
    },
    ScenarioId.SYNC_CONTACT_AUTO: {
        **_LOOKUP,
        "ContactId": "in the screen-pop URLFormat: the found contact's id (= ContactsId)",
    },
    ScenarioId.SEARCH_CONTACT: dict(_LOOKUP),
    ScenarioId.USER_ASSOCIATION: {},
    ScenarioId.CREATE_NEW_CONTACT: {
        "DisplayName": "the caller's name, or the number when the PBX sent no name",
        "FirstName": "the first name for the new contact",
        "LastName": "the last name for the new contact (the number when unknown)",
        "BusinessNumber": "the caller's number, normalised (E.164 when possible)",
        "Phone": "the caller's number as the PBX sent it",
        "CallerNumber": "the caller's number as the PBX sent it",
        "CallerDisplayName": "the caller's name as the PBX sent it (may be empty)",
        "ContactType": "the contact type the admin chose (the request's Name)",
    },
    ScenarioId.CREATE_NEW_TICKET: {
        **_CALL,
        "WithCallJournal": "1 when the ticket is created after the call and must carry the call "
        "journal itself (only for templates with JournalInTicket = 1); empty otherwise",
        "RecordPath": "with WithCallJournal: deskline's signed URL of the call recording, or empty",
    },
    ScenarioId.CALL_JOURNAL: _JOURNAL,
    ScenarioId.COMMON: {},
    ScenarioId.FOLLOW_UP_REQUESTS: {},
    ScenarioId.SCREEN_POP: {
        "CallId": _CALL["CallId"],
        "AgentUserId": "the helpdesk user id of the agent whose screen shows the pop",
        "AgentEmail": "the e-mail of that helpdesk user",
        "ContactId": "the helpdesk id of the caller's contact",
        "TicketId": "the ticket created for this call so far, or empty",
        "CallerNumber": _CALL["CallerNumber"],
        "CalleeNumber": _CALL["CalleeNumber"],
        "Communication_Type": _CALL["Communication_Type"],
        "PopTrigger": "what triggered the pop: ringing, answered or ended",
    },
    ScenarioId.CALL_JOURNAL_CHECK: _JOURNAL,
    ScenarioId.INDEX_REFRESH: {
        "Cursor": "the position the previous run's Cursor output gave; empty on the first run",
        "StartTime": "on the first run (no Cursor): export the contacts changed since this "
        "Unix time in seconds (a number)",
        "PageSize": "how many contacts one request may return (the refresh batch size)",
    },
}

#: Variables whose values are numbers (they may appear unquoted in a JSON body).
NUMERIC_VARIABLES = frozenset({"StartTimeUnix", "Talk_Duration_Sec", "StartTime", "PageSize"})

#: Scenarios whose requests are alternatives (one contact type each), not a sequence.
ALTERNATIVE_REQUEST_SCENARIOS = frozenset(
    {ScenarioId.SYNC_CONTACT_AUTO, ScenarioId.SEARCH_CONTACT, ScenarioId.CREATE_NEW_CONTACT}
)


def builtin_variables(scenario_id: str | None) -> frozenset[str]:
    """The built-in variables of one scenario (empty for an unknown id)."""
    try:
        known = ScenarioId(scenario_id or "")
    except ValueError:
        return frozenset(EVERYWHERE)
    return frozenset(EVERYWHERE) | frozenset(BUILTIN_VARIABLES[known])


def all_builtin_variables() -> frozenset[str]:
    names: set[str] = set(EVERYWHERE)
    for variables in BUILTIN_VARIABLES.values():
        names.update(variables)
    return frozenset(names)


def sample_value(name: str) -> object:
    """A plausible value of a variable, used to test-render templates during validation."""
    if name in NUMERIC_VARIABLES:
        return 1672531199 if name == "StartTimeUnix" else 65
    if name.endswith(("Id", "ID", "Sec", "Unix")):
        return 12345
    if "Number" in name or name == "Phone":
        return "+4930123456"
    if name == "RecordPath":
        return "https://pbx.example.com/recordings/1?sig=abc"
    return "sample"
