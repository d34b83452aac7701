"""Each validation rule, shown failing on a fixture: the exact messages, lines and columns.

Every fixture in fixtures/broken/ is a small variation of fixtures/valid/minimal.xml and
must produce exactly the problems listed here (no more, no fewer), formatted the way
`deskline template validate` prints them.
"""

# ruff: noqa: E501

from __future__ import annotations

from pathlib import Path

import pytest

from deskline.templates.validation import validate_source

FIXTURES = Path(__file__).parent / "fixtures"

EXPECTED: dict[str, list[str]] = {
    "auth-mismatch": [
        "auth-mismatch.xml:5:5: Scenario[@Id='AuthMethod']/Parameters: Basic auth needs CredentialType",
        "auth-mismatch.xml:5:5: Scenario[@Id='AuthMethod']/Parameters: Basic auth needs Base64EncodedCredential",
        "auth-mismatch.xml:8:45: Scenario[@Id='AuthMethod']/Parameters/Parameter[@Name='AuthMethod']/@Value: AuthMethod 'basic' contradicts the root AuthType 'none'",
    ],
    "bad-path": [
        "bad-path.xml:21:54: Scenario[@Id='SyncContactAuto']/Requests/Request[@Name='contacts']/Outputs/Output[@Name='FirstName']/@Path: bad path: unclosed query: ')' is missing",
    ],
    "basic": [
        "basic.xml:5:5: Scenario[@Id='AuthMethod']/Parameters: Basic auth needs Base64EncodedCredential",
        "basic.xml:9:49: Scenario[@Id='AuthMethod']/Parameters/Parameter[@Name='CredentialType']/@Value: CredentialType must be one of username_password, api_key (found 'password')",
    ],
    "bearer": [
        "bearer.xml:5:5: Scenario[@Id='AuthMethod']/Parameters: bearer_token needs a source for AccessToken: a custom field named AccessToken, a FollowUpRequests output named AccessToken, or a TokenEndPoint",
    ],
    "billion-laughs": [
        "billion-laughs.xml:2:1: DTDs and entity declarations are not allowed in a template (protection against external entities and entity expansion)",
    ],
    "contact-mapping": [
        "contact-mapping.xml:17:9: Scenario[@Id='SyncContactAuto']/Requests/Request[@Name='contacts']: contact type 'contacts' maps no FirstName: add <Output Name=\"FirstName\" Path=\"…\"/>",
        "contact-mapping.xml:17:9: Scenario[@Id='SyncContactAuto']/Requests/Request[@Name='contacts']: contact type 'contacts' needs at least one enabled phone field with a Path (e.g. BusinessNumberEnable=\"1\" and <Output Name=\"BusinessNumber\" Path=\"…\"/>)",
    ],
    "contact-url": [
        "contact-url.xml:11:5: Scenario[@Id='SyncContactAuto']/Parameters: the screen-pop URL needs ContactFieldForUri (ContactUrlType contact_field)",
    ],
    "custom-fields": [
        "custom-fields.xml:12:9: Scenario[@Id='AuthMethod']/Parameters/Parameter[@Name='kind']: at most 5 custom fields are allowed (found 7)",
        "custom-fields.xml:12:9: Scenario[@Id='AuthMethod']/Parameters/Parameter[@Name='kind']: a select field needs Options=\"a,b,c\"",
        "custom-fields.xml:13:51: Scenario[@Id='AuthMethod']/Parameters/Parameter[@Name='2nd']/@Name: custom field name '2nd' must be a variable name (letters, digits, '_'; not starting with a digit)",
        "custom-fields.xml:13:64: Scenario[@Id='AuthMethod']/Parameters/Parameter[@Name='2nd']/@Editor: Editor must be string, password or select (found 'textarea')",
    ],
    "doctype-xxe": [
        "doctype-xxe.xml:2:1: DTDs and entity declarations are not allowed in a template (protection against external entities and entity expansion)",
    ],
    "duplicate-request": [
        "duplicate-request.xml:25:24: Scenario[@Id='SyncContactAuto']/Requests/Request[@Name='contacts']/@Name: request name 'contacts' is used twice in scenario SyncContactAuto",
    ],
    "entity-offset": [
        "entity-offset.xml:17:122: Scenario[@Id='SyncContactAuto']/Requests/Request[@Name='contacts']/@URLFormat: unknown function 'Lower'",
    ],
    "feature-without-scenario": [
        'feature-without-scenario.xml:2:111: Information/@CallJournal: CallJournal="1" but there is no CallJournal scenario with a request',
    ],
    "follow-up": [
        "follow-up.xml:29:54: Scenario[@Id='FollowUpRequests']/Requests/Request[@Name='login']/@Trigger: Trigger must be one of after_auth, before_request, token_refreshed (found 'after_login')",
        "follow-up.xml:31:55: Scenario[@Id='FollowUpRequests']/Requests/Request[@Name='login']/Outputs/Output[@Name='SessionToken']/@Path: bad path: unexpected end of segment",
    ],
    "headers": [
        "headers.xml:28:9: Scenario[@Id='AuthMethod']/Parameters/Parameter[@Name='X-H21']: at most 20 custom headers are allowed (found 22)",
        "headers.xml:29:58: Scenario[@Id='AuthMethod']/Parameters/Parameter[@Name='Authorization']/@Name: a custom Authorization header is refused: it would override the auth method's header",
    ],
    "json-body": [
        "json-body.xml:19:55: Scenario[@Id='SyncContactAuto']/Requests/Request[@Name='contacts']/Parameters/Parameter[@Name='Data']/@Value: with sample values, the rendered JSON body does not parse: Expecting ',' delimiter (line 1, column 24)",
    ],
    "malformed": [
        "malformed.xml:10:7: malformed XML: mismatched tag",
    ],
    "next-cycle": [
        "next-cycle.xml:30:26: Scenario[@Id='Common']/Requests/Request[@Name='phones']/Outputs/@Next: Next chain loops: phones → more → phones",
    ],
    "next-unknown": [
        "next-unknown.xml:19:26: Scenario[@Id='SyncContactAuto']/Requests/Request[@Name='contacts']/Outputs/@Next: Next='GetPhones' names no request in this scenario or in Common",
    ],
    "oauth2": [
        "oauth2.xml:9:9: Scenario[@Id='AuthMethod']/Parameters/Parameter[@Name='TokenEndPoint']/@Value: OAuth2 needs TokenEndPoint",
        "oauth2.xml:10:55: Scenario[@Id='AuthMethod']/Parameters/Parameter[@Name='RefreshTokenInterval']/@Value: RefreshTokenInterval must be a number of minutes (0 = never, empty = 25); found '-5'",
        "oauth2.xml:11:51: Scenario[@Id='AuthMethod']/Parameters/Parameter[@Name='TokenContentType']/@Value: TokenContentType must be one of application/json, application/x-www-form-urlencoded (found 'text/plain')",
    ],
    "pagination": [
        "pagination.xml:27:5: Scenario[@Id='UserAssociation']/Parameters: PaginationType page needs PageParamName",
        "pagination.xml:31:43: Scenario[@Id='UserAssociation']/Parameters/Parameter[@Name='PageSize']/@Value: PageSize must be a whole number of at least 1 (found '0')",
        "pagination.xml:32:40: Scenario[@Id='UserAssociation']/Parameters/Parameter[@Name='Limit']/@Value: warning: Limit is ignored with PaginationType page",
        "pagination.xml:35:9: Scenario[@Id='UserAssociation']/Requests/Request[@Name='users']: the users request must map UserUniqueId (<Output Name=\"UserUniqueId\" Path=\"users.#.id\"/>)",
    ],
    "request-fields": [
        "request-fields.xml:17:42: Scenario[@Id='SyncContactAuto']/Requests/Request[@Name='contacts']/@Method: Method must be one of GET, POST, PUT, PATCH, DELETE (found 'FETCH')",
        "request-fields.xml:17:60: Scenario[@Id='SyncContactAuto']/Requests/Request[@Name='contacts']/@URLFormat: URLFormat must start with http:// or https://",
    ],
    "root-attributes": [
        "root-attributes.xml:2:24: Information/@Provider: Provider must be 'helpdesk' (found 'crm')",
        "root-attributes.xml:2:35: Information/@Name: Name is required",
        "root-attributes.xml:2:42: Information/@Key: Key 'mini desk' must be 1-64 letters, digits, '_', '.' or '-'",
        "root-attributes.xml:2:63: Information/@AuthType: AuthType must be one of none, basic, oauth2, bearer_token (found 'digest')",
        "root-attributes.xml:2:93: Information/@MaxConcurrentRequest: MaxConcurrentRequest must be a whole number of at least 1 (found 'many')",
        "root-attributes.xml:2:116: Information/@CreateNewTicket: CreateNewTicket must be 0 or 1 (found 'yes')",
    ],
    "syntax-error-in-body": [
        "syntax-error-in-body.xml:19:88: Scenario[@Id='SyncContactAuto']/Requests/Request[@Name='contacts']/Parameters/Parameter[@Name='Data']/@Value: unexpected character '}' in action",
    ],
    "undefined-entity": [
        "undefined-entity.xml:2:1: malformed XML: undefined entity",
    ],
    "undefined-variable": [
        "undefined-variable.xml:17:107: Scenario[@Id='SyncContactAuto']/Requests/Request[@Name='contacts']/@URLFormat: warning: variable 'Phnoe' is never defined here (it renders empty)",
    ],
    "unknown-content": [
        "unknown-content.xml:10:7: Scenario[@Id='AuthMethod']: warning: unknown element <Hooks> is kept but not used",
        "unknown-content.xml:15:55: Scenario[@Id='SyncContactAuto']/Parameters/Parameter[@Name='BusinessNumberEnable']/@Value: BusinessNumberEnable must be 0 or 1 (found 'yes')",
        "unknown-content.xml:16:26: Scenario[@Id='SyncContactAuto']/Parameters/Parameter[@Name='PaginationTyp']/@Name: warning: unknown parameter 'PaginationTyp' for scenario SyncContactAuto (for an extra value use Father=\"CustomScenarioParameter\")",
        "unknown-content.xml:19:9: Scenario[@Id='SyncContactAuto']/Requests/Request[@Name='contacts']: contact type 'contacts' needs at least one enabled phone field with a Path (e.g. BusinessNumberEnable=\"1\" and <Output Name=\"BusinessNumber\" Path=\"…\"/>)",
    ],
    "unknown-function": [
        "unknown-function.xml:17:98: Scenario[@Id='SyncContactAuto']/Requests/Request[@Name='contacts']/@URLFormat: unknown function 'Lower'",
    ],
    "unknown-scenario": [
        "unknown-scenario.xml:5:19: Scenario[@Id='AuthMethods']/@Id: unknown scenario Id 'AuthMethods' (known: AuthMethod, SyncContactAuto, SearchContact, UserAssociation, CreateNewContact, CreateNewTicket, CallJournal, Common, FollowUpRequests, ScreenPop, IndexRefresh, CallJournalCheck)",
        "unknown-scenario.xml:13:54: Scenario[@Id='SyncContactAuto']/Parameters/Parameter[@Name='URLFormat']/@Value: warning: variable 'host' is never defined here (it renders empty)",
        "unknown-scenario.xml:17:68: Scenario[@Id='SyncContactAuto']/Requests/Request[@Name='contacts']/@URLFormat: warning: variable 'host' is never defined here (it renders empty)",
    ],
    "wrong-root": [
        "wrong-root.xml:2:1: Template: the root element must be <Information>, found <Template>",
    ],
}


def test_every_broken_fixture_has_expectations() -> None:
    assert sorted(p.stem for p in (FIXTURES / "broken").glob("*.xml")) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_broken_fixture_reports_exactly_its_problems(name: str) -> None:
    path = FIXTURES / "broken" / f"{name}.xml"
    report = validate_source(path.read_bytes(), path.name)

    assert [p.format(path.name) for p in report.problems] == EXPECTED[name]
    assert not report.ok or all("warning:" in line for line in EXPECTED[name])


@pytest.mark.parametrize("path", sorted((FIXTURES / "valid").glob("*.xml")), ids=lambda p: p.stem)
def test_valid_fixtures_have_no_errors(path: Path) -> None:
    report = validate_source(path.read_bytes(), path.name)

    assert report.errors == []
    assert report.ok
