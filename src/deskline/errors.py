"""The exception tree of deskline.

Every error deskline raises on purpose derives from :class:`DesklineError`, so callers at the
edges (CLI, web, workers) can tell deskline's own, explained failures from bugs::

    DesklineError
    ├── ConfigurationError        settings or stored configuration that cannot work
    ├── StorageError              the database refused or is unreachable
    ├── PbxError                  anything on the PBX side
    │   ├── PbxAuthenticationError    the PBX rejected our credentials (do not retry blindly)
    │   ├── PbxConnectionError        the PBX cannot be reached / the connection dropped
    │   ├── PbxProtocolError          the PBX sent something we cannot understand
    │   └── PbxActionError            an action (originate, dial) was refused by the PBX
    ├── EventPayloadError         a webhook / event payload is malformed (a 4xx for the sender)
    ├── TemplateError             a helpdesk template is invalid (carries the problems found)
    │   └── TemplateRenderError       a value could not be rendered into a request
    ├── HelpdeskError             a request to the helpdesk failed (carries its Outcome)
    │   └── HelpdeskAuthError         the helpdesk needs re-authorization
    └── JobError                  an outbox job failed
        └── PermanentJobError         retrying will not help: the job fails at once
"""

from __future__ import annotations


class DesklineError(Exception):
    """Base class of every error deskline raises on purpose."""


class ConfigurationError(DesklineError):
    """Settings or stored configuration that cannot work."""


class StorageError(DesklineError):
    """The database refused an operation or is unreachable."""


class PbxError(DesklineError):
    """Something went wrong on the PBX side."""


class PbxAuthenticationError(PbxError):
    """The PBX rejected the credentials; retrying with the same ones will not help."""


class PbxConnectionError(PbxError):
    """The PBX cannot be reached, or the connection dropped."""


class PbxProtocolError(PbxError):
    """The PBX sent something that does not follow its protocol."""


class PbxActionError(PbxError):
    """The PBX refused an action such as an originate or a dial."""


class EventPayloadError(DesklineError):
    """A PBX event or webhook payload is malformed; the sender gets a 4xx with this message."""


class TemplateError(DesklineError):
    """A helpdesk template is invalid."""


class TemplateRenderError(TemplateError):
    """A value could not be rendered into a request of a template."""


HELPDESK_SERVICE = "helpdesk"
"""The service a :class:`HelpdeskError` names as unavailable (the outbox's service names)."""


class HelpdeskError(DesklineError):
    """A request to the helpdesk failed.

    ``outcome`` is the request's :class:`deskline.connector.Outcome` value ("retry", "fail",
    "reauthenticate"), ``retry_after`` the seconds the helpdesk asked to wait (``None`` when it
    did not say), ``status_code`` the HTTP status (``None``: no response, e.g. a timeout).
    """

    default_outcome = "fail"

    def __init__(
        self,
        message: str,
        *,
        outcome: str | None = None,
        retry_after: float | None = None,
        status_code: int | None = None,
    ) -> None:
        super().__init__(message)
        self.outcome = outcome or self.default_outcome
        self.retry_after = retry_after
        self.status_code = status_code

    @property
    def unavailable_service(self) -> str | None:
        """``"helpdesk"`` when the helpdesk could not be reached or answered 5xx (a retry
        without a ``Retry-After``): the outbox retries such jobs as soon as the helpdesk
        answers again. A 429 is not unavailability: the helpdesk said how long to wait."""
        if self.outcome != "retry" or self.retry_after is not None:
            return None
        if self.status_code is None or self.status_code >= 500:
            return HELPDESK_SERVICE
        return None


class HelpdeskAuthError(HelpdeskError):
    """The helpdesk rejected our authorization; the admin must re-authorize."""

    default_outcome = "reauthenticate"


class JobError(DesklineError):
    """An outbox job failed; it will be retried."""


class PermanentJobError(JobError):
    """An outbox job failed in a way that retrying cannot fix."""
