"""What running a scenario gives back: records, outputs, contacts or users, and a request log."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from deskline.connector.records import Record

SKIPPED = "skipped"
DRY_RUN = "dry-run"


@dataclass(frozen=True)
class RequestLogEntry:
    """One request as it is shown and stored: secrets masked, body cut short."""

    scenario_id: str
    request_name: str
    method: str
    url: str  # secrets masked
    status: int | None
    duration_ms: float
    outcome: str  # an Outcome value, "skipped" (empty URL) or "dry-run"
    headers: tuple[tuple[str, str], ...] = ()  # masked
    body: str | None = None  # masked
    note: str | None = None

    def to_json(self) -> dict[str, object]:
        data = asdict(self)
        data["headers"] = dict(self.headers)
        return data


@dataclass(frozen=True)
class Contact:
    """A contact found by a lookup, with its mapped fields and screen-pop URL."""

    contact_type: str
    id: str
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    phones: dict[str, str] = field(default_factory=dict)  # ContactField name -> number
    remark: str | None = None
    popup_url: str | None = None
    fields: dict[str, object] = field(default_factory=dict)  # every mapped field

    @property
    def display_name(self) -> str:
        name = " ".join(p for p in (self.first_name, self.last_name) if p)
        return name or self.id

    def to_json(self) -> dict[str, object]:
        return asdict(self)


@dataclass(frozen=True)
class HelpdeskUser:
    """A helpdesk user (agent) from UserAssociation."""

    id: str
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None

    def to_json(self) -> dict[str, object]:
        return asdict(self)


@dataclass
class ScenarioResult:
    """The result of one scenario run.

    ``records`` holds one dict of Output values per record found (a chained request's
    outputs merged into the record that started it); ``outputs`` the scenario's outputs as
    variables (the single record's values, or a list per name when there are several);
    ``contacts``/``users`` the typed view for lookups and user association.
    """

    scenario_id: str
    records: list[Record] = field(default_factory=list)
    outputs: dict[str, object] = field(default_factory=dict)
    log: list[RequestLogEntry] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    contacts: list[Contact] = field(default_factory=list)
    users: list[HelpdeskUser] = field(default_factory=list)
    response_values: dict[str, object] = field(default_factory=dict)
    """IndexRefresh: the Outputs of the last response that give one value (``Cursor``,
    ``EndOfStream``), also when the response held no record."""

    def to_json(self) -> dict[str, object]:
        return {
            "scenario": self.scenario_id,
            "outputs": self.outputs,
            "records": self.records,
            "contacts": [c.to_json() for c in self.contacts],
            "users": [u.to_json() for u in self.users],
            "warnings": self.warnings,
            "requests": [entry.to_json() for entry in self.log],
        }


def outputs_of(records: list[Record]) -> dict[str, object]:
    """The scenario outputs: one record's values, or each name's values across records."""
    if len(records) == 1:
        return dict(records[0])
    names: list[str] = []
    for record in records:
        names += [n for n in record if n not in names]
    return {name: [record.get(name) for record in records] for name in names}
