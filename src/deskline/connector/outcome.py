"""One :class:`Outcome` for every helpdesk request, from a table a template can override.

The default table (by status code and error)::

    2xx                                   success
    401, or the TokenInvalid error code   reauthenticate (the auth refreshes once first)
    403                                   fail
    404 on a contact lookup               success, no contact
    408, 425, 429, 5xx                    retry (Retry-After honoured when sent)
    connection error, timeout             retry
    other 3xx/4xx                         fail

A template overrides it with ``<Parameter Father="OutcomeMap" Name="409" Value="success"/>``
(``Name``: a status code such as ``409`` or a class such as ``4xx``; with ``Type="ErrorCode"``
the Name is an error code found in the response body). Overrides in a scenario apply to its
requests; overrides in AuthMethod apply to every scenario. See docs/templates-runtime.md.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from enum import StrEnum

from deskline.templates.model import HelpdeskTemplate, ParameterFather, Scenario, ScenarioId

OUTCOME_MAP_FATHER = ParameterFather.OUTCOME_MAP
ERROR_CODE_TYPE = "ErrorCode"
_RETRY_STATUSES = frozenset({408, 425, 429})
#: Keys whose values are compared with error codes (TokenInvalid, OutcomeMap ErrorCode).
_ERROR_KEYS = frozenset(
    {"error", "code", "error_code", "errorcode", "errcode", "type", "status", "reason", "name"}
)
_MAX_ERROR_DEPTH = 3


class Outcome(StrEnum):
    SUCCESS = "success"
    RETRY = "retry"
    FAIL = "fail"
    REAUTHENTICATE = "reauthenticate"


@dataclass(frozen=True)
class Decision:
    """What a response (or a failure to get one) means, and why."""

    outcome: Outcome
    reason: str
    retry_after: float | None = None
    #: a 404 on a lookup: success, but the body is "no contact"
    empty: bool = False


@dataclass(frozen=True)
class OutcomeRules:
    """Overrides of one level (a scenario, or AuthMethod for all)."""

    by_error_code: Mapping[str, Outcome] = field(default_factory=dict)
    by_status: Mapping[int, Outcome] = field(default_factory=dict)
    by_class: Mapping[int, Outcome] = field(default_factory=dict)  # 4 for "4xx"

    @classmethod
    def of(cls, scenario: Scenario | None) -> OutcomeRules:
        if scenario is None:
            return cls()
        codes: dict[str, Outcome] = {}
        statuses: dict[int, Outcome] = {}
        classes: dict[int, Outcome] = {}
        for parameter in scenario.parameters_of(OUTCOME_MAP_FATHER):
            name = (parameter.name or "").strip()
            try:
                outcome = Outcome((parameter.value or "").strip().lower())
            except ValueError:
                continue  # validation reports it; the default table stays in force
            if parameter.type == ERROR_CODE_TYPE:
                codes[name] = outcome
            elif name.isdigit():
                statuses[int(name)] = outcome
            elif len(name) == 3 and name[0].isdigit() and name[1:].lower() == "xx":
                classes[int(name[0])] = outcome
        return cls(codes, statuses, classes)

    def match(
        self, status: int, codes_in_body: Callable[[Iterable[str]], str | None]
    ) -> Outcome | None:
        if self.by_error_code:
            found = codes_in_body(self.by_error_code)
            if found is not None:
                return self.by_error_code[found]
        if status in self.by_status:
            return self.by_status[status]
        return self.by_class.get(status // 100)


def body_has_error_code(body: bytes, codes: Iterable[str]) -> str | None:
    """The first of ``codes`` that the (JSON) error body carries as an error/code value."""
    wanted = {c for c in codes if c}
    if not wanted or not body:
        return None
    try:
        document = json.loads(body)
    except ValueError:
        text = body.decode("utf-8", "replace")
        return next((c for c in wanted if c in text.split()), None)
    return _find_code(document, wanted, 0)


def _find_code(node: object, wanted: set[str], depth: int) -> str | None:
    if depth > _MAX_ERROR_DEPTH:
        return None
    if isinstance(node, dict):
        for key, value in node.items():
            if isinstance(value, str | int) and str(key).lower() in _ERROR_KEYS:
                if str(value) in wanted:
                    return str(value)
            elif isinstance(value, dict | list):
                found = _find_code(value, wanted, depth + 1)
                if found is not None:
                    return found
    elif isinstance(node, list):
        for item in node[:20]:
            found = _find_code(item, wanted, depth + 1)
            if found is not None:
                return found
    return None


def parse_retry_after(value: str | None, now: float) -> float | None:
    """``Retry-After`` in seconds: delta-seconds or an HTTP date (``None`` if unreadable)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        return None
    return max(0.0, moment.timestamp() - now)


class OutcomeTable:
    """Classifies responses of one template: overrides first, then TokenInvalid, then defaults."""

    def __init__(self, template: HelpdeskTemplate) -> None:
        self._global = OutcomeRules.of(template.scenario(ScenarioId.AUTH_METHOD))
        self._scenarios = {
            s.id: OutcomeRules.of(s) for s in template.scenarios if s.id and s.id != "AuthMethod"
        }
        self.token_invalid_codes = tuple(
            e.code for e in template.auth.token_errors if e.code and e.meaning == "TokenInvalid"
        )

    def classify(
        self,
        status: int,
        body: bytes,
        retry_after_header: str | None,
        *,
        scenario_id: str | None,
        lookup: bool,
        now: float,
    ) -> Decision:
        retry_after = parse_retry_after(retry_after_header, now)

        def codes_in_body(codes: Iterable[str]) -> str | None:
            return body_has_error_code(body, codes) if status >= 300 else None

        for rules in (self._scenarios.get(scenario_id or ""), self._global):
            if rules is None:
                continue
            overridden = rules.match(status, codes_in_body)
            if overridden is not None:
                return Decision(
                    overridden,
                    f"HTTP {status} (template OutcomeMap)",
                    retry_after if overridden is Outcome.RETRY else None,
                    empty=overridden is Outcome.SUCCESS and status >= 300,
                )
        if codes_in_body(self.token_invalid_codes):
            return Decision(Outcome.REAUTHENTICATE, f"HTTP {status}: the token is invalid")
        return default_decision(status, retry_after, lookup=lookup)

    @staticmethod
    def transport_failure(error: str) -> Decision:
        """A connection error or timeout: always worth retrying."""
        return Decision(Outcome.RETRY, error)


def default_decision(status: int, retry_after: float | None, *, lookup: bool) -> Decision:
    """The default table by status code."""
    if 200 <= status < 300:
        return Decision(Outcome.SUCCESS, f"HTTP {status}")
    if status == 401:
        return Decision(Outcome.REAUTHENTICATE, "HTTP 401: the helpdesk refused the credentials")
    if status == 404 and lookup:
        return Decision(Outcome.SUCCESS, "HTTP 404 on a lookup: no contact", empty=True)
    if status in _RETRY_STATUSES or status >= 500:
        return Decision(Outcome.RETRY, f"HTTP {status}", retry_after)
    return Decision(Outcome.FAIL, f"HTTP {status}")
