"""``<Information>``: the root of a helpdesk template, with the runtime's typed accessors."""

from __future__ import annotations

from pydantic import Field

from deskline.templates.model.feature_views import (
    ActivitySettings,
    ContactLookupSettings,
    ContactTypeMapping,
    MappedField,
    Pagination,
)
from deskline.templates.model.nodes import Parameter, Request, Scenario, XmlNode, xml_attribute
from deskline.templates.model.views import (
    AuthSettings,
    CustomField,
    HeaderTemplate,
    header_templates,
    parse_enum,
    parse_int,
)
from deskline.templates.model.vocabulary import (
    DEFAULT_MAX_CONCURRENT_REQUESTS,
    AuthType,
    ContactField,
    Feature,
    FollowUpTrigger,
    ParameterFather,
    ScenarioId,
)


class HelpdeskTemplate(XmlNode):
    """A helpdesk template: the ``<Information>`` element and everything in it."""

    XML_TAG = "Information"

    provider: str | None = xml_attribute("Provider", "helpdesk (crm templates are not run).")
    name: str | None = xml_attribute("Name", "The helpdesk's name as shown to the admin.")
    key: str | None = xml_attribute("Key", "A unique identifier, e.g. acme_desk.")
    logo: str | None = xml_attribute("Logo", "Logo file name: PNG (recommended), JPG, JPEG.")
    remark: str | None = xml_attribute("Remark", "A description for the template list.")
    version: str | None = xml_attribute("Version", "The template's own version, e.g. 1.0.0.")
    auth_type: str | None = xml_attribute("AuthType", "none, basic, oauth2 or bearer_token.")
    max_concurrent_request: str | None = xml_attribute(
        "MaxConcurrentRequest", "How many HTTP requests may run at once against the helpdesk."
    )
    user_association: str | None = xml_attribute("UserAssociation", "1 = fetch helpdesk users.")
    call_journal: str | None = xml_attribute("CallJournal", "1 = log calls in the helpdesk.")
    create_new_contact: str | None = xml_attribute(
        "CreateNewContact", "1 = create contacts for unknown callers."
    )
    create_new_ticket: str | None = xml_attribute("CreateNewTicket", "1 = create tickets.")
    parameters: list[Parameter] = Field(default_factory=list, alias="Parameters")
    scenarios: list[Scenario] = Field(default_factory=list, alias="Scenarios")

    # --- typed views -------------------------------------------------------------------------

    @property
    def auth_type_value(self) -> AuthType | None:
        """The root AuthType as an enum (``None`` when absent or unknown)."""
        return parse_enum(AuthType, self.auth_type)

    @property
    def max_concurrent_requests(self) -> int:
        parsed = parse_int(self.max_concurrent_request)
        return parsed if parsed and parsed > 0 else DEFAULT_MAX_CONCURRENT_REQUESTS

    def feature_enabled(self, feature: Feature) -> bool:
        value = self.get_attribute(feature.value)
        return value is not None and value.strip() == "1"

    def scenario(self, scenario_id: ScenarioId | str) -> Scenario | None:
        """The first scenario with that Id."""
        return next((s for s in self.scenarios if s.id == str(scenario_id)), None)

    @property
    def auth(self) -> AuthSettings:
        return AuthSettings.of(self.scenario(ScenarioId.AUTH_METHOD), self.auth_type_value)

    @property
    def custom_fields(self) -> list[CustomField]:
        scenario = self.scenario(ScenarioId.AUTH_METHOD)
        if scenario is None:
            return []
        return [
            CustomField.of(p) for p in scenario.parameters_of(ParameterFather.CUSTOM_FIELD_LIST)
        ]

    @property
    def default_headers(self) -> list[HeaderTemplate]:
        return header_templates(self.scenario(ScenarioId.AUTH_METHOD))

    @property
    def pagination(self) -> Pagination:
        return Pagination.of(self.scenario(ScenarioId.USER_ASSOCIATION))

    @property
    def contact_lookup(self) -> ContactLookupSettings | None:
        scenario = self.scenario(ScenarioId.SYNC_CONTACT_AUTO)
        return ContactLookupSettings.of(scenario) if scenario else None

    def activity_settings(self, scenario_id: ScenarioId) -> ActivitySettings | None:
        """Subject/description/recording options of CreateNewTicket or CallJournal."""
        scenario = self.scenario(scenario_id)
        return ActivitySettings.of(scenario) if scenario else None

    def follow_up_requests(self, trigger: FollowUpTrigger | None = None) -> list[Request]:
        scenario = self.scenario(ScenarioId.FOLLOW_UP_REQUESTS)
        if scenario is None:
            return []
        return [r for r in scenario.requests if trigger is None or r.trigger == trigger.value]

    def resolve_next(self, scenario: Scenario, name: str) -> Request | None:
        """The request a ``Next`` names: in the same scenario first, then in Common."""
        found = scenario.request(name)
        if found is not None:
            return found
        common = self.scenario(ScenarioId.COMMON)
        return common.request(name) if common is not None else None

    def request_chain(self, scenario: Scenario, first: Request) -> list[Request]:
        """``first`` and the requests its ``Next`` leads to, in order (stops at a loop)."""
        chain = [first]
        seen = {id(first)}
        current = first
        while (next_name := current.next_request_name) is not None:
            following = self.resolve_next(scenario, next_name)
            if following is None or id(following) in seen:
                break
            chain.append(following)
            seen.add(id(following))
            current = following
        return chain

    def contact_types(
        self, scenario_id: ScenarioId = ScenarioId.SYNC_CONTACT_AUTO
    ) -> list[ContactTypeMapping]:
        """Each request of a lookup scenario as a contact type with its enabled, mapped fields.

        A field is mapped by the first request of the chain whose Output of that name has a
        non-empty Path; fields switched off with ``<Field>Enable="0"`` are left out.
        """
        scenario = self.scenario(scenario_id)
        if scenario is None:
            return []
        enabled = ContactLookupSettings.of(scenario).enabled_fields
        mappings = []
        for request in scenario.requests:
            fields: dict[ContactField, MappedField] = {}
            for step in self.request_chain(scenario, request):
                for output in step.output_items:
                    try:
                        field = ContactField(output.name or "")
                    except ValueError:
                        continue
                    if field in enabled and field not in fields and (output.path or "").strip():
                        fields[field] = MappedField(field, step.name or "", output.path or "")
            mappings.append(ContactTypeMapping(request=request, fields=fields))
        return mappings
