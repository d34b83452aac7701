"""The settings (``<Parameter Name Value>`` without a Father, or in AuthOption) of each scenario.

Used by validation (unknown names are reported, flags must be 0/1) and checked against the
documentation by a test, so the two cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Mapping

from deskline.templates.model.vocabulary import ContactField, ScenarioId

_CONTACT_SETTINGS: dict[str, str] = {
    "ContactUrlType": "specify_url_format (uses URLFormat) or contact_field (ContactFieldForUri)",
    "URLFormat": "the screen-pop URL of a found contact (variables: its mapped fields)",
    "ContactFieldForUri": "a path in the search response that holds the contact's URL",
    **{f.enable_parameter: f"1 = {f.value} is shown and synced" for f in ContactField},
}

_ACTIVITY_SETTINGS: dict[str, str] = {
    "EnableSubject": "1 = the admin can edit the subject (default below)",
    "Subject": "the default subject template (its result is the variable Subject)",
    "EnableDescription": "1 = the admin can edit the description (default below)",
    "Description": "the default description template (its result is the variable Description)",
    "NeedSyncContact": "1 = look the contact up (and create it if enabled) first",
}

SCENARIO_SETTINGS: Mapping[ScenarioId, Mapping[str, str]] = {
    ScenarioId.AUTH_METHOD: {
        "AuthMethod": "none, basic, oauth2 or bearer_token (as the root AuthType)",
        "TokenType": "the Authorization scheme for the access token (default Bearer)",
        "AuthEndPoint": "OAuth2 authorization URL the admin's browser is sent to",
        "TokenEndPoint": "OAuth2 token URL (code for tokens)",
        "TokenContentType": "application/json or application/x-www-form-urlencoded (default)",
        "AdditionalQueryString": "extra query string for the authorization URL",
        "Scope": "scopes to request, comma- or space-separated (sent space-separated)",
        "ScopeSeparator": "AuthOption: what joins the scopes on the wire (default a space)",
        "CredentialType": "basic: username_password or api_key",
        "Base64EncodedCredential": "basic: the credential format, e.g. {{.username}}:{{.password}}",
        "RefreshTokenMethod": "HTTP method of the refresh request (default POST)",
        "RefreshTokenEndPoint": "refresh URL (default: TokenEndPoint)",
        "RefreshTokenContentType": "content type of the refresh request (as TokenContentType)",
        "RefreshTokenInterval": "minutes between refreshes; 0 = never; empty = 25",
        "RefreshTokenBody": "body of the refresh request (default: the standard grant)",
        "NoNeedRefreshAccessToken": "AuthOption: 1 = the token never needs refreshing",
        "PKCE": "AuthOption: S256 = use PKCE (RFC 7636) in the authorization code flow",
    },
    ScenarioId.SYNC_CONTACT_AUTO: _CONTACT_SETTINGS,
    ScenarioId.SEARCH_CONTACT: _CONTACT_SETTINGS,
    ScenarioId.USER_ASSOCIATION: {
        "PaginationType": "disabled (default), page, offset or link",
        "PageParamName": "page: the page-number query parameter",
        "PageStart": "page: the first page number (default 1)",
        "PageSizeParamName": "page: the page-size query parameter",
        "PageSize": "page: records per page (default 100)",
        "OffsetParamName": "offset: the offset query parameter",
        "OffsetStart": "offset: the first offset (default 0)",
        "LimitParamName": "offset: the limit query parameter",
        "Limit": "offset: records per request (default 100)",
        "NextLinkPath": "link: path of the next page's URL in the response",
    },
    ScenarioId.CREATE_NEW_CONTACT: {},
    ScenarioId.CREATE_NEW_TICKET: {
        **_ACTIVITY_SETTINGS,
        "JournalInTicket": "1 = the ticket request carries the call journal itself when "
        "WithCallJournal is set, so a ticket created after the call needs no CallJournal run",
    },
    ScenarioId.CALL_JOURNAL: {
        **_ACTIVITY_SETTINGS,
        "EnablePlayCallRecording": "1 = the admin can choose to link call recordings",
        "PlayCallRecording": "1 = link call recordings by default (RecordPath set)",
        "EnableSkipMissedForUnansweredAgents": "1 = the admin can choose the option below",
        "SkipMissedForUnansweredAgents": "1 = queue/ring-group calls are logged only for the "
        "agent who answered, not as missed calls for the others",
        "TicketId": "a fixed ticket to log calls on (rarely used)",
    },
    ScenarioId.COMMON: {},
    ScenarioId.FOLLOW_UP_REQUESTS: {},
    ScenarioId.SCREEN_POP: {},
    ScenarioId.INDEX_REFRESH: {},
    ScenarioId.CALL_JOURNAL_CHECK: {},
}


def is_flag(name: str) -> bool:
    """Settings whose value must be 0 or 1."""
    return (
        name.endswith("Enable")
        or name.startswith("Enable")
        or name
        in {
            "NeedSyncContact",
            "PlayCallRecording",
            "SkipMissedForUnansweredAgents",
            "NoNeedRefreshAccessToken",
            "JournalInTicket",
        }
    )
