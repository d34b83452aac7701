"""The typed views the runtime reads: auth, fields, headers, pagination, contact mapping."""

from __future__ import annotations

from pathlib import Path

from deskline.templates import load_template
from deskline.templates.model import (
    AuthType,
    ContactField,
    ContactUrlType,
    CredentialType,
    Editor,
    FollowUpTrigger,
    HelpdeskTemplate,
    HttpMethod,
    PaginationType,
    Parameter,
    Scenario,
    ScenarioId,
    TokenContentType,
)

EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "examples"
ACME = load_template((EXAMPLES / "acme-oauth2.xml").read_bytes())
LISTDESK = load_template((EXAMPLES / "basic-list-and-match.xml").read_bytes())


def _auth_only(*parameters: Parameter, auth_type: str = "oauth2") -> HelpdeskTemplate:
    return HelpdeskTemplate(
        auth_type=auth_type,
        scenarios=[Scenario(id="AuthMethod", type="AUTH", parameters=list(parameters))],
    )


def test_root_attributes_as_typed_values() -> None:
    assert ACME.auth_type_value is AuthType.OAUTH2
    assert ACME.max_concurrent_requests == 8
    assert HelpdeskTemplate(max_concurrent_request="lots").max_concurrent_requests == 10


def test_oauth2_settings() -> None:
    auth = ACME.auth
    assert auth.method is AuthType.OAUTH2
    assert auth.token_endpoint == "https://{{.subdomain}}.acmedesk.example/oauth/token"
    assert auth.token_content_type is TokenContentType.JSON
    assert auth.pkce == "S256"
    assert auth.refresh.method is HttpMethod.POST
    assert auth.refresh.interval_minutes == 25  # empty = every 25 minutes
    assert [(e.meaning, e.code) for e in auth.token_errors] == [("TokenInvalid", "invalid_token")]
    assert auth.no_need_refresh_access_token is False


def test_refresh_interval_zero_means_never_and_a_number_is_kept() -> None:
    never = _auth_only(Parameter(name="RefreshTokenInterval", value="0")).auth
    assert never.refresh.interval_minutes is None
    hourly = _auth_only(Parameter(name="RefreshTokenInterval", value="60")).auth
    assert hourly.refresh.interval_minutes == 60


def test_auth_method_parameter_falls_back_to_root_auth_type() -> None:
    assert _auth_only(auth_type="bearer_token").auth.method is AuthType.BEARER_TOKEN
    assert HelpdeskTemplate(auth_type="basic").auth.method is AuthType.BASIC


def test_basic_settings() -> None:
    auth = LISTDESK.auth
    assert auth.method is AuthType.BASIC
    assert auth.credential_type is CredentialType.API_KEY
    assert auth.base64_encoded_credential == "{{.api_key}}:X"


def test_custom_fields() -> None:
    fields = {f.name: f for f in ACME.custom_fields}
    assert list(fields) == ["subdomain", "client_id", "client_secret", "region"]
    assert fields["client_secret"].is_secret
    assert not fields["subdomain"].is_secret
    assert fields["region"].editor is Editor.SELECT
    assert fields["region"].options == ("eu", "us")
    assert fields["region"].default == "eu"
    assert fields["subdomain"].title == "Acme Desk subdomain"


def test_default_headers() -> None:
    assert [(h.name, h.value) for h in ACME.default_headers] == [
        ("Accept", "application/json"),
        ("Content-Type", "application/json"),
        ("X-Acme-Region", "{{.region}}"),
    ]


def test_pagination_views() -> None:
    page = LISTDESK.pagination
    assert page.type is PaginationType.PAGE
    assert (page.page_param_name, page.page_start, page.page_size_param_name, page.page_size) == (
        "page",
        1,
        "per_page",
        50,
    )
    link = ACME.pagination
    assert link.type is PaginationType.LINK and link.next_link_path == "links.next"
    assert HelpdeskTemplate().pagination.type is PaginationType.DISABLED


def test_contact_types_follow_the_next_chain_into_common() -> None:
    [contacts] = ACME.contact_types()
    assert contacts.name == "Contacts"
    assert contacts.fields[ContactField.CONTACT_ID].path == "contacts.#.id"
    home = contacts.fields[ContactField.HOME_NUMBER]
    assert (home.request_name, home.path) == ("ContactPhones", 'phones.#(type=="home").number')
    assert set(contacts.phone_fields) == {
        ContactField.BUSINESS_NUMBER,
        ContactField.MOBILE_NUMBER,
        ContactField.HOME_NUMBER,
    }


def test_disabled_contact_fields_are_left_out() -> None:
    template = load_template(
        "<Information><Scenarios><Scenario Id='SyncContactAuto'><Parameters>"
        "<Parameter Name='EmailEnable' Value='0'/><Parameter Name='MobileNumberEnable' Value='1'/>"
        "</Parameters><Requests><Request Name='c' URLFormat='https://h'><Outputs>"
        "<Output Name='ContactsId' Path='a'/><Output Name='Email' Path='b'/>"
        "<Output Name='MobileNumber' Path='c'/><Output Name='HomeNumber' Path='d'/>"
        "</Outputs></Request></Requests></Scenario></Scenarios></Information>"
    )
    [mapping] = template.contact_types()
    assert set(mapping.fields) == {ContactField.CONTACT_ID, ContactField.MOBILE_NUMBER}


def test_contact_lookup_settings() -> None:
    lookup = LISTDESK.contact_lookup
    assert lookup is not None
    assert lookup.contact_url_type is ContactUrlType.CONTACT_FIELD
    assert lookup.contact_field_for_uri is not None
    assert lookup.contact_field_for_uri.startswith("customers.#(phone==")


def test_activity_settings_of_ticket_and_journal() -> None:
    ticket = ACME.activity_settings(ScenarioId.CREATE_NEW_TICKET)
    assert ticket is not None
    assert ticket.enable_subject and ticket.need_sync_contact
    assert ticket.custom_parameters == {"GroupId": ""}
    journal = ACME.activity_settings(ScenarioId.CALL_JOURNAL)
    assert journal is not None
    assert not journal.enable_subject
    assert journal.play_call_recording and journal.skip_missed_for_unanswered_agents
    assert ACME.activity_settings(ScenarioId.SEARCH_CONTACT) is not None
    assert LISTDESK.activity_settings(ScenarioId.CALL_JOURNAL) is None


def test_requests_headers_body_and_next_resolution() -> None:
    lookup = ACME.scenario(ScenarioId.SYNC_CONTACT_AUTO)
    assert lookup is not None
    request = lookup.requests[0]
    target = ACME.resolve_next(lookup, "ContactPhones")
    assert target is not None and target.name == "ContactPhones"
    assert [r.name for r in ACME.request_chain(lookup, request)] == ["Contacts", "ContactPhones"]
    assert ACME.resolve_next(lookup, "Nope") is None
    journal = ACME.scenario(ScenarioId.CALL_JOURNAL)
    assert journal is not None and journal.requests[0].body is not None
    assert journal.requests[0].headers == []


def test_follow_up_requests_by_trigger() -> None:
    template = load_template(
        "<Information><Scenarios><Scenario Id='FollowUpRequests'><Requests>"
        "<Request Name='login' Trigger='after_auth' URLFormat='https://h/login'/>"
        "<Request Name='ping' Trigger='before_request' URLFormat='https://h/ping'/>"
        "</Requests></Scenario></Scenarios></Information>"
    )
    assert [r.name for r in template.follow_up_requests()] == ["login", "ping"]
    assert [r.name for r in template.follow_up_requests(FollowUpTrigger.AFTER_AUTH)] == ["login"]


def test_equality_ignores_source_positions() -> None:
    text = (EXAMPLES / "acme-oauth2.xml").read_text()
    assert load_template(text) == load_template("\n\n" + text.split("\n", 1)[1])
    assert load_template(text) != LISTDESK


def test_model_uses_xml_names_in_json() -> None:
    data = ACME.model_dump(by_alias=True, exclude_none=True)
    assert data["Key"] == "acme_desk"
    assert data["Scenarios"][0]["Parameters"][0] == {
        "Name": "AuthMethod",
        "Value": "oauth2",
        "ExtraAttributes": {},
        "ExtraElements": [],
        "AttributeOrder": ["Name", "Value"],
    }
    assert HelpdeskTemplate.model_validate(data) == ACME
