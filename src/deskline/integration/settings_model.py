"""The integration settings of the connected helpdesk (F8–F13, F21, F29), validated.

Stored as JSON in ``helpdesk_connections.settings``; read with
:meth:`IntegrationSettings.from_stored` (which never fails: a stored value that no longer
validates falls back to the defaults field by field) and written only after
:meth:`IntegrationSettings.model_validate` accepted it. The pipeline asks the helper methods
(:meth:`TicketRules.before_call_applies`, :meth:`TicketRules.after_call_applies`,
:meth:`ContactCreation.creates_for`, :attr:`IntegrationSettings.journal_applies`, …) rather
than reading raw flags.
"""

from __future__ import annotations

import logging
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from deskline.calls.model import Direction
from deskline.errors import TemplateError
from deskline.templates.expressions import compile_template
from deskline.templates.model.vocabulary import ScenarioId
from deskline.templates.variables import BUILTIN_VARIABLES, EVERYWHERE

log = logging.getLogger(__name__)

DEFAULT_SUBJECT = "{{.Communication_Type}} {{.Call_Status}} - from {{.Call_From}}"
DEFAULT_DESCRIPTION = (
    "{{.Communication_Type}} {{.Call_Status}} - from {{.Call_From}} to {{.Call_To}}"
)
MAX_TEXT_TEMPLATE = 2000

#: The variables a ticket subject or description may use (docs/templates.md, CreateNewTicket).
TICKET_VARIABLES: frozenset[str] = frozenset(
    name
    for name in BUILTIN_VARIABLES[ScenarioId.CREATE_NEW_TICKET]
    if name not in {"Subject", "Description"}
) - frozenset(EVERYWHERE)


class ContactCreationMode(StrEnum):
    AUTO = "auto"  # unknown numbers get a contact "Automatic New Contact <number>"
    MANUAL = "manual"  # the agent creates one during the call


class TicketTiming(StrEnum):
    BEFORE_CALL = "before_call"  # when an external call rings
    AFTER_CALL = "after_call"  # when the call ends


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ContactCreation(_Strict):
    """F10: what happens to a call with an unknown number."""

    mode: ContactCreationMode = ContactCreationMode.MANUAL
    inbound: bool = Field(default=True, description="With mode auto: create for inbound calls.")
    outbound: bool = Field(default=True, description="With mode auto: create for outbound calls.")

    def creates_for(self, direction: Direction | str) -> bool:
        """True when an unknown number on a call of this direction gets a contact at once."""
        if self.mode is not ContactCreationMode.AUTO:
            return False
        return {Direction.INBOUND: self.inbound, Direction.OUTBOUND: self.outbound}.get(
            Direction(direction), False
        )

    @model_validator(mode="after")
    def _some_type_when_auto(self) -> ContactCreation:
        if self.mode is ContactCreationMode.AUTO and not (self.inbound or self.outbound):
            raise ValueError(
                "automatic contact creation needs at least one call type (inbound or outbound)"
            )
        return self


class BeforeCallTypes(_Strict):
    inbound: bool = True
    outbound: bool = True


class AfterCallTypes(_Strict):
    inbound_answered: bool = True
    inbound_missed: bool = True
    outbound_answered: bool = True
    outbound_unanswered: bool = True


def check_ticket_text(source: str, what: str) -> str:
    """``source`` if it compiles and uses only documented ticket variables; else ValueError."""
    if len(source) > MAX_TEXT_TEMPLATE:
        raise ValueError(f"the {what} is longer than {MAX_TEXT_TEMPLATE} characters")
    try:
        compiled = compile_template(source)
    except TemplateError as exc:
        raise ValueError(f"the {what} is not a valid template: {exc}") from None
    unknown = sorted(compiled.variables - TICKET_VARIABLES)
    if unknown:
        names = ", ".join(f"{{{{.{name}}}}}" for name in unknown)
        raise ValueError(
            f"the {what} uses unknown variables {names}; the ticket variables are: "
            + ", ".join(sorted(TICKET_VARIABLES))
        )
    return source


class TicketRules(_Strict):
    """F11: when tickets are created, for which calls, with which subject and description."""

    enabled: bool = False
    timing: TicketTiming = TicketTiming.AFTER_CALL
    before_call: BeforeCallTypes = Field(default_factory=BeforeCallTypes)
    after_call: AfterCallTypes = Field(default_factory=AfterCallTypes)
    subject: str = DEFAULT_SUBJECT
    description: str = DEFAULT_DESCRIPTION

    @field_validator("subject")
    @classmethod
    def _subject(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("the ticket subject must not be empty")
        return check_ticket_text(value, "ticket subject")

    @field_validator("description")
    @classmethod
    def _description(cls, value: str) -> str:
        return check_ticket_text(value, "ticket description")

    @model_validator(mode="after")
    def _some_type_chosen(self) -> TicketRules:
        if not self.enabled:
            return self
        chosen = self.before_call if self.timing is TicketTiming.BEFORE_CALL else self.after_call
        if not any(chosen.model_dump().values()):
            raise ValueError(
                f"tickets {self.timing.value.replace('_', ' ')} need at least one call type"
            )
        return self

    def before_call_applies(self, direction: Direction | str) -> bool:
        """Create a ticket when an external call of this direction rings?"""
        if not self.enabled or self.timing is not TicketTiming.BEFORE_CALL:
            return False
        types = self.before_call
        return {Direction.INBOUND: types.inbound, Direction.OUTBOUND: types.outbound}.get(
            Direction(direction), False
        )

    def after_call_applies(self, direction: Direction | str, answered: bool) -> bool:
        """Create a ticket when an external call of this direction ended (answered or not)?"""
        if not self.enabled or self.timing is not TicketTiming.AFTER_CALL:
            return False
        types = self.after_call
        direction = Direction(direction)
        if direction is Direction.INBOUND:
            return types.inbound_answered if answered else types.inbound_missed
        if direction is Direction.OUTBOUND:
            return types.outbound_answered if answered else types.outbound_unanswered
        return False

    def template_settings(self) -> dict[str, str]:
        """The CreateNewTicket/CallJournal settings that replace the template's defaults."""
        return {"Subject": self.subject, "Description": self.description}


class IntegrationSettings(_Strict):
    """Everything the admin sets for the connected helpdesk (``GET/PUT /api/helpdesk/settings``)."""

    contact_sync_group_id: int | None = Field(
        default=None,
        description="F8: the phonebook group helpdesk contacts are copied into (null: no sync).",
    )
    always_query_helpdesk: bool = Field(
        default=False,
        description="F9: ask the helpdesk on every call (costs API credit); off: only when "
        "neither the phonebook nor the local index knows the number.",
    )
    contact_creation: ContactCreation = Field(default_factory=ContactCreation)
    tickets: TicketRules = Field(default_factory=TicketRules)
    call_journal: bool = Field(
        default=True, description="F12: log each call on its ticket (needs tickets)."
    )
    play_recording: bool = Field(
        default=False, description="F13: the journal carries deskline's recording link."
    )
    skip_missed_for_unanswered_agents: bool = Field(
        default=True,
        description="F21: queue and ring-group calls are logged for the answering agent only.",
    )
    talk_partner_edition: bool = Field(
        default=False,
        description="F29: also pop the caller through Zendesk's Talk Partner Edition display.",
    )
    api_budget_rpm: int | None = Field(
        default=None,
        ge=1,
        le=100_000,
        description="Most helpdesk requests per minute deskline may send (null: no limit).",
    )

    @property
    def journal_applies(self) -> bool:
        """The call journal is written only when tickets are created (seed: F12 needs F11)."""
        return self.tickets.enabled and self.call_journal

    @property
    def recording_applies(self) -> bool:
        return self.journal_applies and self.play_recording

    @classmethod
    def from_stored(cls, stored: dict[str, Any] | None) -> IntegrationSettings:
        """The stored settings; fields that no longer validate fall back to their default."""
        data = dict(stored or {})
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            bad = {str(error["loc"][0]) for error in exc.errors() if error.get("loc")}
            log.warning("stored integration settings %s are invalid; using defaults", sorted(bad))
            kept = {k: v for k, v in data.items() if k not in bad and k in cls.model_fields}
            try:
                return cls.model_validate(kept)
            except ValidationError:
                return cls()

    def stored(self) -> dict[str, Any]:
        """The JSON to store."""
        return self.model_dump(mode="json")


def settings_problems(exc: ValidationError) -> list[dict[str, str]]:
    """Each validation problem as ``{"path", "message"}`` (never the value sent)."""
    problems = []
    for error in exc.errors():
        path = ".".join(str(part) for part in error.get("loc", ()))
        message = str(error.get("msg", "invalid"))
        problems.append({"path": path, "message": message.removeprefix("Value error, ")})
    return problems
