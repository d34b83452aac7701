"""The fixed words of the template format: scenario ids, parameter names and their values.

Names the vendor's public examples show are kept as they are; the ones deskline chose (marked
"deskline" in docs/templates.md) follow the same style.
"""

from __future__ import annotations

from enum import StrEnum


class Provider(StrEnum):
    HELPDESK = "helpdesk"
    CRM = "crm"


class AuthType(StrEnum):
    NONE = "none"
    BASIC = "basic"
    OAUTH2 = "oauth2"
    BEARER_TOKEN = "bearer_token"


class Feature(StrEnum):
    """The optional features a template switches on with root attributes set to "1"."""

    USER_ASSOCIATION = "UserAssociation"
    CALL_JOURNAL = "CallJournal"
    CREATE_NEW_CONTACT = "CreateNewContact"
    CREATE_NEW_TICKET = "CreateNewTicket"


class ScenarioId(StrEnum):
    AUTH_METHOD = "AuthMethod"
    SYNC_CONTACT_AUTO = "SyncContactAuto"
    SEARCH_CONTACT = "SearchContact"
    USER_ASSOCIATION = "UserAssociation"
    CREATE_NEW_CONTACT = "CreateNewContact"
    CREATE_NEW_TICKET = "CreateNewTicket"
    CALL_JOURNAL = "CallJournal"
    COMMON = "Common"
    FOLLOW_UP_REQUESTS = "FollowUpRequests"
    SCREEN_POP = "ScreenPop"  # deskline: the helpdesk's own (server-side) screen pop
    INDEX_REFRESH = "IndexRefresh"  # deskline: incremental export of contacts (F28)
    #: deskline: the call journal entries already on a ticket (a retry never logs twice)
    CALL_JOURNAL_CHECK = "CallJournalCheck"


class ScenarioType(StrEnum):
    AUTH = "AUTH"
    REST = "REST"


class ParameterFather(StrEnum):
    """The ``Father`` attribute groups a scenario's parameters."""

    AUTH_OPTION = "AuthOption"
    TOKEN_ERROR_MAP = "TokenErrorMap"
    CUSTOM_FIELD_LIST = "CustomFieldList"
    POPULATE_TEMPLATE_STRING = "PopulateTemplateString"
    CUSTOM_SCENARIO_PARAMETER = "CustomScenarioParameter"
    OUTCOME_MAP = "OutcomeMap"  # deskline: overrides of the outcome table (templates-runtime.md)


class ParameterType(StrEnum):
    HEADER = "Header"
    BODY = "Body"
    TOKEN_INVALID = "TokenInvalid"


class Editor(StrEnum):
    """How a custom field is entered by the admin when connecting."""

    STRING = "string"
    PASSWORD = "password"
    SELECT = "select"


class HttpMethod(StrEnum):
    GET = "GET"
    POST = "POST"
    PUT = "PUT"
    PATCH = "PATCH"
    DELETE = "DELETE"


class CredentialType(StrEnum):
    USERNAME_PASSWORD = "username_password"
    API_KEY = "api_key"


class TokenContentType(StrEnum):
    JSON = "application/json"
    FORM = "application/x-www-form-urlencoded"


class ContactUrlType(StrEnum):
    """How the screen-pop URL of a found contact is made."""

    SPECIFY_URL_FORMAT = "specify_url_format"
    CONTACT_FIELD = "contact_field"


class PaginationType(StrEnum):
    DISABLED = "disabled"
    PAGE = "page"
    OFFSET = "offset"
    LINK = "link"


class FollowUpTrigger(StrEnum):
    """When a request of the FollowUpRequests scenario runs (deskline's names)."""

    AFTER_AUTH = "after_auth"
    BEFORE_REQUEST = "before_request"
    TOKEN_REFRESHED = "token_refreshed"


class ContactField(StrEnum):
    """The contact fields an Output of SyncContactAuto / SearchContact can fill."""

    CONTACT_ID = "ContactsId"
    FIRST_NAME = "FirstName"
    LAST_NAME = "LastName"
    EMAIL = "Email"
    BUSINESS_NUMBER = "BusinessNumber"
    BUSINESS_NUMBER2 = "BusinessNumber2"
    BUSINESS_FAX_NUMBER = "BusinessFaxNumber"
    MOBILE_NUMBER = "MobileNumber"
    MOBILE_NUMBER2 = "MobileNumber2"
    HOME_NUMBER = "HomeNumber"
    HOME_NUMBER2 = "HomeNumber2"
    HOME_FAX_NUMBER = "HomeFaxNumber"
    OTHER_NUMBER = "OtherNumber"
    REMARK = "Remark"
    CUSTOM_VALUE = "CustomValue"

    @property
    def enable_parameter(self) -> str:
        """The scenario parameter that switches this field on, e.g. ``MobileNumberEnable``."""
        return f"{self.value}Enable"

    @property
    def is_phone(self) -> bool:
        return self in PHONE_FIELDS


PHONE_FIELDS: frozenset[ContactField] = frozenset(
    {
        ContactField.BUSINESS_NUMBER,
        ContactField.BUSINESS_NUMBER2,
        ContactField.BUSINESS_FAX_NUMBER,
        ContactField.MOBILE_NUMBER,
        ContactField.MOBILE_NUMBER2,
        ContactField.HOME_NUMBER,
        ContactField.HOME_NUMBER2,
        ContactField.HOME_FAX_NUMBER,
        ContactField.OTHER_NUMBER,
    }
)


class UserField(StrEnum):
    """The Outputs of the UserAssociation request."""

    USER_UNIQUE_ID = "UserUniqueId"
    FIRST_NAME = "FirstName"
    LAST_NAME = "LastName"
    EMAIL = "Email"


DEFAULT_MAX_CONCURRENT_REQUESTS = 10
DEFAULT_REFRESH_INTERVAL_MINUTES = 25
MAX_CUSTOM_FIELDS = 5
MAX_HEADERS = 20
MAX_PAGINATED_REQUESTS = 100
