"""The OAuth callback: the browser comes back from the helpdesk with a code (or an error).

The ``state`` must name the pending authorization this deskline stored (encrypted, with the
PKCE verifier); it is removed before the code is exchanged, so it works once, and refused when
older than the authorization's time to live. Every refusal has a message the admin can act on.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import TYPE_CHECKING

from deskline.errors import ConfigurationError, HelpdeskAuthError, HelpdeskError
from deskline.integration.connectors import MAX_STATUS_DETAIL
from deskline.integration.fields import split_fields
from deskline.integration.problems import IntegrationError
from deskline.integration.records import (
    ConnectionStatus,
    PendingAuthorization,
    connection_by_id,
    current_connection,
    read_secrets,
    write_secrets,
)
from deskline.integration.template_source import load_template

if TYPE_CHECKING:
    from deskline.integration.service import HelpdeskService


@dataclass(frozen=True)
class AuthorizationResult:
    """How the OAuth callback ended: ``ok`` and a message the result page shows."""

    ok: bool
    title: str
    message: str


class OAuthCallback:
    """Completes the pending authorization of ``service``'s connection."""

    def __init__(self, service: HelpdeskService) -> None:
        self.service = service

    async def complete(
        self,
        *,
        code: str | None,
        state: str | None,
        error: str | None = None,
        error_description: str | None = None,
    ) -> AuthorizationResult:
        """The browser came back from the helpdesk: check ``state``, exchange ``code``."""
        claimed = await self._claim_pending(state)
        if isinstance(claimed, AuthorizationResult):
            return claimed
        row_id, template_key, pending = claimed
        result = await self._exchange(row_id, template_key, pending, code, error, error_description)
        if not result.ok:
            await self._note_failure(row_id, result.message)
        return result

    async def _exchange(
        self,
        row_id: int,
        template_key: str,
        pending: PendingAuthorization,
        code: str | None,
        error: str | None,
        error_description: str | None,
    ) -> AuthorizationResult:
        if error:
            return _refused(_denial_message(error, error_description))
        if not code:
            return _refused("the helpdesk sent no authorization code: connect again")
        try:
            async with self.service.db.read() as session:
                loaded = await load_template(session, template_key)
            plain, secret = split_fields(loaded, pending.fields)
        except (ConfigurationError, IntegrationError) as exc:
            return _refused(str(exc))
        connector, _ = self.service.provider.build(loaded.template, pending.fields, row_id)
        try:
            await connector.exchange_code(code, pending.redirect_uri, pending.verifier)
        except HelpdeskAuthError as exc:
            return _refused(_exchange_message(str(exc)))
        except HelpdeskError as exc:
            return _refused(f"the helpdesk could not be reached or failed ({exc}): try again")
        except ConfigurationError as exc:
            return _refused(f"the template cannot exchange the code: {exc}")
        finally:
            await connector.aclose()
        await self.service.mark_connected(row_id, plain, secret)
        name = loaded.template.name or loaded.key
        return AuthorizationResult(True, "Connected", f"deskline is connected to {name}.")

    async def _note_failure(self, row_id: int, message: str) -> None:
        """A failed authorization shows in the status of a connection not connected yet."""
        async with self.service.db.transaction() as session:
            row = await connection_by_id(session, row_id, for_update=True)
            if row is not None and row.status != ConnectionStatus.CONNECTED:
                row.status_detail = message[:MAX_STATUS_DETAIL]

    async def _claim_pending(
        self, state: str | None
    ) -> tuple[int, str, PendingAuthorization] | AuthorizationResult:
        """The pending authorization that ``state`` names, removed (single use), or why not."""
        async with self.service.db.transaction() as session:
            row = await current_connection(session, for_update=True)
            secrets = read_secrets(self.service.box, row) if row is not None else None
            pending = secrets.pending if secrets is not None else None
            if (
                row is None
                or secrets is None
                or pending is None
                or not state
                or not hmac.compare_digest(pending.state.encode(), state.encode())
            ):
                return _refused(
                    "this authorization was not started by this deskline, was already used, "
                    "or was replaced by a newer one (unknown state): connect again"
                )
            secrets.pending = None
            write_secrets(self.service.box, row, secrets)
            if self.service.clock() > pending.expires_at:
                minutes = round(self.service.authorization_ttl_seconds / 60)
                return _refused(
                    f"the authorization took longer than {minutes} minutes and expired: "
                    "connect again"
                )
            return row.id, row.template_key, pending


def _refused(message: str) -> AuthorizationResult:
    return AuthorizationResult(False, "Not connected", message)


def _denial_message(error: str, description: str | None) -> str:
    if error == "access_denied":
        return (
            "the authorization was denied in the helpdesk (access_denied): connect again and "
            "choose Allow"
        )
    detail = f" ({description[:200]})" if description else ""
    return f"the helpdesk refused the authorization: {error[:100]}{detail}"


def _exchange_message(detail: str) -> str:
    if "invalid_client" in detail:
        return (
            "the helpdesk refused the client's identifier or secret (invalid_client): check the "
            "Secret and connect again"
        )
    if "invalid_grant" in detail:
        return (
            "the authorization code is invalid, expired or was already used (invalid_grant): "
            "connect again"
        )
    return f"the helpdesk refused the authorization code: {detail}"
