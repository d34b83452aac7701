"""Typed views of the feature scenarios: pagination, contact mapping, ticket/journal options.

Lenient like :mod:`deskline.templates.model.views`: run validation before trusting them.
"""

from __future__ import annotations

from dataclasses import dataclass

from deskline.templates.model.nodes import Request, Scenario
from deskline.templates.model.views import parse_enum, parse_int
from deskline.templates.model.vocabulary import (
    ContactField,
    ContactUrlType,
    PaginationType,
    ParameterFather,
)


@dataclass(frozen=True)
class Pagination:
    """How the UserAssociation request pages through the helpdesk's users."""

    type: PaginationType = PaginationType.DISABLED
    page_param_name: str | None = None
    page_start: int = 1
    page_size_param_name: str | None = None
    page_size: int = 100
    offset_param_name: str | None = None
    offset_start: int = 0
    limit_param_name: str | None = None
    limit: int = 100
    next_link_path: str | None = None

    @classmethod
    def of(cls, scenario: Scenario | None) -> Pagination:
        if scenario is None:
            return cls()

        def number(name: str, default: int) -> int:
            parsed = parse_int(scenario.setting(name))
            return default if parsed is None else parsed

        return cls(
            type=parse_enum(PaginationType, scenario.setting("PaginationType"))
            or PaginationType.DISABLED,
            page_param_name=scenario.setting("PageParamName") or None,
            page_start=number("PageStart", 1),
            page_size_param_name=scenario.setting("PageSizeParamName") or None,
            page_size=number("PageSize", 100),
            offset_param_name=scenario.setting("OffsetParamName") or None,
            offset_start=number("OffsetStart", 0),
            limit_param_name=scenario.setting("LimitParamName") or None,
            limit=number("Limit", 100),
            next_link_path=scenario.setting("NextLinkPath") or None,
        )


@dataclass(frozen=True)
class MappedField:
    """One contact field of a contact type: which request's Output fills it, and how."""

    field: ContactField
    request_name: str
    path: str


@dataclass(frozen=True)
class ContactTypeMapping:
    """One contact type (a request of SyncContactAuto / SearchContact) and its field mapping.

    ``fields`` holds the enabled fields that some request of the chain (the request itself,
    then the requests its ``Next`` leads to) maps to a non-empty path.
    """

    request: Request
    fields: dict[ContactField, MappedField]

    @property
    def name(self) -> str:
        return self.request.name or ""

    @property
    def phone_fields(self) -> list[ContactField]:
        return [f for f in self.fields if f.is_phone]


@dataclass(frozen=True)
class ContactLookupSettings:
    """The scenario-level settings of SyncContactAuto: screen-pop URL and enabled fields."""

    contact_url_type: ContactUrlType
    url_format: str | None
    contact_field_for_uri: str | None
    enabled_fields: frozenset[ContactField]

    @classmethod
    def of(cls, scenario: Scenario) -> ContactLookupSettings:
        required = {ContactField.CONTACT_ID, ContactField.FIRST_NAME}
        enabled = {
            f for f in ContactField if scenario.flag(f.enable_parameter, default=f in required)
        }
        return cls(
            contact_url_type=parse_enum(ContactUrlType, scenario.setting("ContactUrlType"))
            or ContactUrlType.SPECIFY_URL_FORMAT,
            url_format=scenario.setting("URLFormat") or None,
            contact_field_for_uri=scenario.setting("ContactFieldForUri") or None,
            enabled_fields=frozenset(enabled),
        )


@dataclass(frozen=True)
class ActivitySettings:
    """The admin-visible options of CreateNewTicket and CallJournal, with their defaults."""

    enable_subject: bool
    subject: str | None
    enable_description: bool
    description: str | None
    need_sync_contact: bool
    custom_parameters: dict[str, str]
    enable_play_call_recording: bool = False
    play_call_recording: bool = False
    enable_skip_missed_for_unanswered_agents: bool = False
    skip_missed_for_unanswered_agents: bool = False
    journal_in_ticket: bool = False  # CreateNewTicket: the ticket request carries the journal

    @classmethod
    def of(cls, scenario: Scenario) -> ActivitySettings:
        return cls(
            enable_subject=scenario.flag("EnableSubject"),
            subject=scenario.setting("Subject") or None,
            enable_description=scenario.flag("EnableDescription"),
            description=scenario.setting("Description") or None,
            need_sync_contact=scenario.flag("NeedSyncContact"),
            custom_parameters={
                p.name: p.value or ""
                for p in scenario.parameters_of(ParameterFather.CUSTOM_SCENARIO_PARAMETER)
                if p.name
            },
            enable_play_call_recording=scenario.flag("EnablePlayCallRecording"),
            play_call_recording=scenario.flag("PlayCallRecording"),
            enable_skip_missed_for_unanswered_agents=scenario.flag(
                "EnableSkipMissedForUnansweredAgents"
            ),
            skip_missed_for_unanswered_agents=scenario.flag("SkipMissedForUnansweredAgents"),
            journal_in_ticket=scenario.flag("JournalInTicket"),
        )
