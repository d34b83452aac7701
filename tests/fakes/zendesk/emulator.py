"""The emulator as a Python object: one Zendesk account, its switches and its Python API.

Tests usually start it with :func:`tests.fakes.zendesk.fixture.running_emulator` and then
seed and steer it through this object (or over HTTP through ``/_emulator``)."""

from __future__ import annotations

import functools
import threading
from pathlib import Path
from typing import Any

from starlette.applications import Starlette

from tests.fakes.zendesk.clock import Clock, ManualClock, SystemClock
from tests.fakes.zendesk.config import EmulatorConfig
from tests.fakes.zendesk.faults import FaultInjector, FaultKind, FaultRule
from tests.fakes.zendesk.idempotency import IdempotencyCache
from tests.fakes.zendesk.oauth_state import ClientKind, OAuthClient, OAuthState
from tests.fakes.zendesk.ratelimit import RateLimiter, Storm
from tests.fakes.zendesk.recorder import RecordedRequest, RequestRecorder
from tests.fakes.zendesk.records import DisplayCall, User
from tests.fakes.zendesk.store import Store
from tests.fakes.zendesk.ticket_ops import TicketWriter
from tests.fakes.zendesk.validation import OpenApiValidator, ValidationIssue


class ZendeskEmulator:
    """One emulated Zendesk account (state, switches, recorder) and its ASGI app."""

    def __init__(
        self,
        config: EmulatorConfig | None = None,
        clock: Clock | None = None,
        spec_path: Path | None = None,
    ) -> None:
        self.config = config or EmulatorConfig()
        self.clock: Clock = clock or SystemClock()
        self.lock = threading.RLock()
        self.validator = OpenApiValidator(spec_path)
        self._initial_config = self.config.model_dump()
        self._fresh_state()

    def _fresh_state(self) -> None:
        self.store = Store(self.config, self.clock)
        self.tickets = TicketWriter(self.store)
        self.oauth = OAuthState()
        self.rate_limiter = RateLimiter(self.config, self.clock)
        self.faults = FaultInjector()
        self.recorder = RequestRecorder()
        self.idempotency = IdempotencyCache()
        self.validation_issues: list[ValidationIssue] = []

    @functools.cached_property
    def app(self) -> Starlette:
        from tests.fakes.zendesk.app import create_app

        return create_app(self)

    # switches --------------------------------------------------------------------------
    def configure(self, **changes: Any) -> EmulatorConfig:
        """Change switches at once (all validated first: nothing changes on a bad value)."""
        merged = EmulatorConfig.model_validate(self.config.model_dump() | changes)
        with self.lock:
            for key in changes:
                setattr(self.config, key, getattr(merged, key))
        return self.config

    def reset(self) -> None:
        """Forget all data and restore the switches the emulator was created with."""
        with self.lock:
            for key, value in self._initial_config.items():
                setattr(self.config, key, value)
            self._fresh_state()

    def advance_clock(self, seconds: float) -> None:
        if not isinstance(self.clock, ManualClock):
            raise TypeError("advance_clock needs the emulator to run on a ManualClock")
        self.clock.advance(seconds)

    # seeding ---------------------------------------------------------------------------
    def create_user(self, data: dict[str, Any]) -> User:
        with self.lock:
            return self.store.create_user(data)

    def add_user(self, name: str, role: str = "end-user", **fields: Any) -> User:
        return self.create_user({"name": name, "role": role, **fields})

    def add_agent(self, name: str, email: str, *, admin: bool = False, **fields: Any) -> User:
        return self.add_user(name, "admin" if admin else "agent", email=email, **fields)

    def register_oauth_client(
        self,
        identifier: str = "deskline",
        redirect_urls: list[str] | tuple[str, ...] = ("http://127.0.0.1:8000/oauth/callback",),
        kind: ClientKind = "confidential",
        secret: str | None = None,
        name: str = "deskline",
    ) -> OAuthClient:
        with self.lock:
            return self.oauth.register_client(identifier, list(redirect_urls), kind, secret, name)

    def add_api_token(self, token: str | None = None) -> str:
        with self.lock:
            return self.oauth.add_api_token(token)

    def revoke_tokens(self, *, token: str | None = None, client_id: str | None = None) -> int:
        with self.lock:
            return self.oauth.revoke(token=token, client_id=client_id)

    def consent_user(self) -> User | None:
        """The admin who "is signed in" on the consent page (and owns client credentials)."""
        chosen = self.oauth.consent_user_id
        if chosen is not None:
            return self.store.users.get(chosen)
        admins = [u for u in self.store.users.values() if u.role == "admin" and u.active]
        return admins[0] if admins else None

    # faults ----------------------------------------------------------------------------
    def inject_fault(
        self,
        pattern: str,
        kind: FaultKind = "error",
        *,
        method: str | None = None,
        status: int = 503,
        delay_seconds: float = 0.0,
        times: int | None = None,
        seconds: float | None = None,
    ) -> FaultRule:
        with self.lock:
            return self.faults.add(
                pattern,
                kind,
                now=self.clock.now(),
                method=method,
                status=status,
                delay_seconds=delay_seconds,
                times=times,
                seconds=seconds,
            )

    def start_429_storm(
        self, requests: int | None = None, seconds: float | None = None, retry_after: int = 1
    ) -> Storm:
        with self.lock:
            return self.rate_limiter.start_storm(
                requests=requests, seconds=seconds, retry_after=retry_after
            )

    # observation -----------------------------------------------------------------------
    def note_issues(self, issues: list[ValidationIssue], record: RecordedRequest) -> None:
        for issue in issues:
            self.validation_issues.append(
                ValidationIssue(**{**issue.__dict__, "request_id": record.id})
            )
            record.validation_errors.append(f"{issue.direction}: {issue.message} {issue.details}")

    def requests(self, method: str | None = None, path: str | None = None) -> list[RecordedRequest]:
        with self.lock:
            return self.recorder.find(method, path)

    def validation_errors(self, direction: str | None = None) -> list[ValidationIssue]:
        with self.lock:
            return [i for i in self.validation_issues if direction in (None, i.direction)]

    @property
    def displays(self) -> list[DisplayCall]:
        with self.lock:
            return list(self.store.displays)

    def state(self, base_url: str = "") -> dict[str, Any]:
        with self.lock:
            return self.store.dump(base_url)
