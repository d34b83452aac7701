"""Typed views of scenario records: contacts (lookups) and helpdesk users (UserAssociation).

A contact takes the fields its contact type maps and enables (``<Field>Enable``); it needs a
contact id. Its screen-pop URL is the scenario's URLFormat rendered with the contact's values
(``ContactId`` = its id), or, with ``ContactUrlType="contact_field"``, the value the
ContactFieldForUri path read from the response. ``CustomValue`` only helps build that URL.
"""

from __future__ import annotations

from collections.abc import Sequence

from deskline.connector.records import Record
from deskline.connector.results import Contact, HelpdeskUser, ScenarioResult
from deskline.connector.scope import Scope
from deskline.errors import TemplateRenderError
from deskline.templates.expressions import RenderMode
from deskline.templates.model import (
    ContactField,
    ContactLookupSettings,
    ContactUrlType,
    HelpdeskTemplate,
    Request,
    Scenario,
    ScenarioId,
    UserField,
)


def _text(value: object) -> str | None:
    if value is None or value == "" or isinstance(value, dict | list):
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def lookup_settings_scenario(template: HelpdeskTemplate, scenario: Scenario) -> Scenario:
    """The scenario whose lookup settings apply: SearchContact and IndexRefresh without any
    of their own (no ContactUrlType, URLFormat or ``<Field>Enable``) use SyncContactAuto's."""
    own = {p.name for p in scenario.parameters if p.father is None}
    settings_names = {"ContactUrlType", "URLFormat", "ContactFieldForUri"}
    settings_names |= {f.enable_parameter for f in ContactField}
    borrows = scenario.id in (ScenarioId.SEARCH_CONTACT, ScenarioId.INDEX_REFRESH)
    if borrows and not own & settings_names:
        return template.scenario(ScenarioId.SYNC_CONTACT_AUTO) or scenario
    return scenario


def mapped_fields(
    template: HelpdeskTemplate,
    scenario: Scenario,
    request: Request,
    enabled: frozenset[ContactField],
) -> set[ContactField]:
    """The enabled contact fields some Output of the request's chain maps to a path."""
    known = {f.value: f for f in ContactField}
    mapped = set()
    for step in template.request_chain(scenario, request):
        for output in step.output_items:
            field = known.get(output.name or "")
            if field is not None and field in enabled and (output.path or "").strip():
                mapped.add(field)
    return mapped


def contacts_from(
    template: HelpdeskTemplate,
    scenario: Scenario,
    per_request: Sequence[tuple[Request, list[Record]]],
    scope: Scope,
    result: ScenarioResult,
) -> list[Contact]:
    settings = ContactLookupSettings.of(lookup_settings_scenario(template, scenario))
    contacts = []
    for request, records in per_request:
        mapped = mapped_fields(template, scenario, request, settings.enabled_fields)
        for record in records:
            contact_id = _text(record.get(ContactField.CONTACT_ID.value))
            if contact_id is None:
                continue
            fields = {
                f.value: record[f.value]
                for f in ContactField
                if f in mapped
                and f is not ContactField.CUSTOM_VALUE
                and _text(record.get(f.value)) is not None
            }
            phones = {
                name: text
                for name, value in fields.items()
                if ContactField(name).is_phone and (text := _text(value)) is not None
            }
            contacts.append(
                Contact(
                    contact_type=request.name or "",
                    id=contact_id,
                    first_name=_text(record.get(ContactField.FIRST_NAME.value)),
                    last_name=_text(fields.get(ContactField.LAST_NAME.value)),
                    email=_text(fields.get(ContactField.EMAIL.value)),
                    phones=phones,
                    remark=_text(fields.get(ContactField.REMARK.value)),
                    popup_url=_popup_url(settings, record, contact_id, scope, result),
                    fields=fields,
                )
            )
    return contacts


def _popup_url(
    settings: ContactLookupSettings,
    record: Record,
    contact_id: str,
    scope: Scope,
    result: ScenarioResult,
) -> str | None:
    if settings.contact_url_type is ContactUrlType.CONTACT_FIELD:
        return _text(record.get("ContactUri"))
    if not settings.url_format:
        return None
    contact_scope = scope.with_values({**record, "ContactId": contact_id})
    try:
        url = contact_scope.render(settings.url_format, RenderMode.URL, "screen-pop URLFormat")
    except TemplateRenderError as exc:
        result.warnings.append(f"contact {contact_id}: no screen-pop URL: {exc}")
        return None
    return url.strip() or None


def users_from(records: Sequence[Record]) -> list[HelpdeskUser]:
    users = []
    for record in records:
        user_id = _text(record.get(UserField.USER_UNIQUE_ID.value))
        if user_id is None:
            continue
        users.append(
            HelpdeskUser(
                id=user_id,
                first_name=_text(record.get(UserField.FIRST_NAME.value)),
                last_name=_text(record.get(UserField.LAST_NAME.value)),
                email=_text(record.get(UserField.EMAIL.value)),
            )
        )
    return users
