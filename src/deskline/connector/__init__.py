"""The connector runtime: run a helpdesk template against the real helpdesk over HTTP.

It knows nothing of the database or the web: a :class:`Connector` takes a template, the
admin's field values and a :class:`TokenStore`, and runs scenarios (lookups, user sync,
contacts, tickets, call journals), returning a :class:`ScenarioResult` or raising a
:class:`~deskline.errors.HelpdeskError` that carries the request's :class:`Outcome`.
See docs/templates-runtime.md.
"""

from deskline.connector.client import ClientLimits
from deskline.connector.connector import Connector
from deskline.connector.oauth2 import AuthorizationRequest, code_from_redirect
from deskline.connector.outcome import Decision, Outcome, OutcomeTable
from deskline.connector.results import Contact, HelpdeskUser, RequestLogEntry, ScenarioResult
from deskline.connector.tokens import JsonFileTokenStore, MemoryTokenStore, OAuthTokens, TokenStore

__all__ = [
    "AuthorizationRequest",
    "ClientLimits",
    "Connector",
    "Contact",
    "Decision",
    "HelpdeskUser",
    "JsonFileTokenStore",
    "MemoryTokenStore",
    "OAuthTokens",
    "Outcome",
    "OutcomeTable",
    "RequestLogEntry",
    "ScenarioResult",
    "TokenStore",
    "code_from_redirect",
]
