"""Run one scenario of a template: its requests in order, Outputs, Next chains, paging.

* Lookup scenarios (SyncContactAuto, SearchContact) and CreateNewContact hold alternatives:
  each request is a contact type; lookups run them all, CreateNewContact the chosen one.
* Other scenarios run their requests in order; the first record of each request is added to
  the variables of the requests after it (CreateNewTicket: create, then update ``TicketId``),
  and the scenario's one record is those first records merged.
* ``<Outputs Next="…">`` runs the named request (same scenario first, then Common) once per
  record found, with that record's values as variables; its first record is merged into the
  record that started it (fields already mapped keep their value).
* UserAssociation pages through the users (see :mod:`deskline.connector.pagination`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import replace

import httpx

from deskline.connector.exchange import Exchange
from deskline.connector.lookup import contacts_from, lookup_settings_scenario, users_from
from deskline.connector.pagination import MAX_PAGINATED_REQUESTS, paginator_for
from deskline.connector.records import (
    Extracted,
    Record,
    build_records,
    extract_output,
    merge_into,
)
from deskline.connector.requests import render_request
from deskline.connector.results import ScenarioResult, outputs_of
from deskline.connector.scope import Scope
from deskline.errors import TemplateError
from deskline.templates.expressions import RenderMode
from deskline.templates.model import (
    ContactUrlType,
    HeaderTemplate,
    HelpdeskTemplate,
    ParameterFather,
    Request,
    Scenario,
    ScenarioId,
)

LOOKUP_SCENARIOS = frozenset({ScenarioId.SYNC_CONTACT_AUTO, ScenarioId.SEARCH_CONTACT})
#: scenarios whose records are contacts (IndexRefresh: one page of an incremental export)
CONTACT_SCENARIOS = LOOKUP_SCENARIOS | {ScenarioId.INDEX_REFRESH}
#: scenarios whose records are listed (not merged into one, as a sequence's are)
RECORD_SCENARIOS = CONTACT_SCENARIOS | {ScenarioId.USER_ASSOCIATION, ScenarioId.CALL_JOURNAL_CHECK}
CONTACT_URI_OUTPUT = "ContactUri"
MAX_NEXT_DEPTH = 8
#: scenario settings that are read by the runtime, not variables
_NOT_VARIABLES = frozenset({"URLFormat", "ContactFieldForUri", "NextLinkPath"})
_VARIABLE_FATHERS = frozenset(
    {None, ParameterFather.AUTH_OPTION, ParameterFather.CUSTOM_SCENARIO_PARAMETER}
)


def _filled(record: Record) -> bool:
    return any(v not in (None, "", [], {}) for v in record.values())


class ScenarioRunner:
    """Runs scenarios of one template through an :class:`Exchange`."""

    def __init__(
        self,
        template: HelpdeskTemplate,
        exchange: Exchange,
        auth: httpx.Auth | None,
        default_headers: Sequence[HeaderTemplate] = (),
    ) -> None:
        self.template = template
        self.exchange = exchange
        self.auth = auth
        self.default_headers = tuple(default_headers)
        self._where = template.key or template.name or "template"

    async def run(
        self,
        scenario_id: str,
        base: Scope,
        variables: Mapping[str, object],
        *,
        settings: Mapping[str, str] | None = None,
        requests: Sequence[str] | None = None,
    ) -> ScenarioResult:
        """Runs ``scenario_id``; ``settings`` replace parameter defaults (the admin's subject
        and description templates), ``requests`` picks contact types by request name."""
        scenario = self.template.scenario(scenario_id)
        if scenario is None:
            raise TemplateError(f"{self._where}: the template has no scenario {scenario_id!r}")
        result = ScenarioResult(scenario_id)
        scope = self.scenario_scope(scenario, base, variables, settings or {})
        lookup = scenario_id in LOOKUP_SCENARIOS
        sequence = scenario_id not in RECORD_SCENARIOS
        per_request: list[tuple[Request, list[Record]]] = []
        merged: Record = {}
        for request in self._starting_requests(scenario, requests):
            if scenario_id == ScenarioId.USER_ASSOCIATION:
                records = await self._paged(scenario, request, scope, result)
            else:
                records = await self._run_request(scenario, request, scope, result, lookup, 0)
            if records is None:
                continue
            per_request.append((request, records))
            if not sequence:
                result.records += records
            elif records:
                produced = {k: v for k, v in records[0].items() if v is not None}
                merged.update(produced)
                scope = scope.with_values(produced)
        if sequence and per_request:
            result.records = [merged]
        result.outputs = outputs_of(result.records)
        if scenario_id in CONTACT_SCENARIOS:
            result.contacts = contacts_from(self.template, scenario, per_request, scope, result)
        if scenario_id == ScenarioId.USER_ASSOCIATION:
            result.users = users_from(result.records)
        return result

    def scenario_scope(
        self,
        scenario: Scenario,
        base: Scope,
        variables: Mapping[str, object],
        settings: Mapping[str, str],
    ) -> Scope:
        """``base`` + the caller's variables + the scenario's parameters (rendered as text,
        in order; a parameter the caller gave a value for keeps the caller's value)."""
        scope = base.with_values(variables)
        for parameter in scenario.parameters:
            name = parameter.name
            if not name or parameter.father not in _VARIABLE_FATHERS or name in _NOT_VARIABLES:
                continue
            if name in variables:
                continue
            source = settings.get(name, parameter.value or "")
            where = f"{self._where}: {scenario.id}, parameter {name}"
            value = scope.render(source, RenderMode.TEXT, where)
            scope = scope.with_values({name: value}, trusted=scope.is_constant(source))
        return scope

    def _starting_requests(self, scenario: Scenario, wanted: Sequence[str] | None) -> list[Request]:
        targets = {r.next_request_name for r in scenario.requests}
        starts = [r for r in scenario.requests if r.name not in targets]
        if wanted is not None:
            starts = [r for r in starts if r.name in wanted]
        elif scenario.id == ScenarioId.CREATE_NEW_CONTACT:
            starts = starts[:1]
        return starts

    async def _run_request(
        self,
        scenario: Scenario,
        request: Request,
        scope: Scope,
        result: ScenarioResult,
        lookup: bool,
        depth: int,
    ) -> list[Record] | None:
        prepared = render_request(
            request, scope, f"{self._where}: {scenario.id}", default_headers=self.default_headers
        )
        if prepared is None:
            self.exchange.log_skipped(result.log, scenario.id or "", request.name or "")
            return None
        reply = await self.exchange.send(
            prepared, result.log, scenario_id=scenario.id or "", auth=self.auth, lookup=lookup
        )
        records = self._records(scenario, request, scope, reply.document, top=depth == 0)
        if scenario.id == ScenarioId.INDEX_REFRESH and depth == 0:
            result.response_values.update(self._single_values(request, scope, reply.document))
        await self._follow_next(scenario, request, scope, records, result, lookup, depth)
        return records

    def _records(
        self, scenario: Scenario, request: Request, scope: Scope, document: object, top: bool
    ) -> list[Record]:
        if document is None:
            return []
        where = f"{self._where}: {scenario.id}, request {request.name}"
        outputs: list[tuple[str, Extracted]] = []
        for output in request.output_items:
            if not output.name or not (output.path or "").strip():
                continue
            path = scope.render(
                output.path or "", RenderMode.PATH, f"{where}, Output {output.name}"
            )
            outputs.append((output.name, extract_output(path, document)))
        uri_path = self._contact_uri_path(scenario) if top else None
        if uri_path:
            path = scope.render(uri_path, RenderMode.PATH, f"{where}, ContactFieldForUri")
            outputs.append((CONTACT_URI_OUTPUT, extract_output(path, document)))
        return build_records(outputs).records

    def _single_values(self, request: Request, scope: Scope, document: object) -> Record:
        """The Outputs of one response that do not map over an array (one value each)."""
        values: Record = {}
        for output in request.output_items:
            if not output.name or not (output.path or "").strip():
                continue
            path = scope.render(output.path or "", RenderMode.PATH, f"Output {output.name}")
            found = extract_output(path, document)
            if found.per_record is None:
                values[output.name] = found.value
        return values

    def _contact_uri_path(self, scenario: Scenario) -> str | None:
        if scenario.id not in CONTACT_SCENARIOS:
            return None
        settings = lookup_settings_scenario(self.template, scenario)
        if settings.setting("ContactUrlType") != ContactUrlType.CONTACT_FIELD:
            return None
        return (settings.setting("ContactFieldForUri") or "").strip() or None

    async def _follow_next(
        self,
        scenario: Scenario,
        request: Request,
        scope: Scope,
        records: list[Record],
        result: ScenarioResult,
        lookup: bool,
        depth: int,
    ) -> None:
        name = request.next_request_name
        if name is None:
            return
        target = self.template.resolve_next(scenario, name)
        if target is None:
            raise TemplateError(f"{self._where}: Next={name!r} names no request")
        if depth >= MAX_NEXT_DEPTH:
            result.warnings.append(f"Next chain deeper than {MAX_NEXT_DEPTH} requests: stopped")
            return

        async def one(record: Record) -> None:
            child_scope = scope.with_values(record)
            found = await self._run_request(
                scenario, target, child_scope, result, lookup, depth + 1
            )
            if found:
                merge_into(record, found[0])

        await asyncio.gather(*(one(record) for record in records if _filled(record)))

    async def _paged(
        self, scenario: Scenario, request: Request, scope: Scope, result: ScenarioResult
    ) -> list[Record] | None:
        prepared = render_request(
            request, scope, f"{self._where}: {scenario.id}", default_headers=self.default_headers
        )
        if prepared is None:
            self.exchange.log_skipped(result.log, scenario.id or "", request.name or "")
            return None
        paginator = paginator_for(self.template.pagination)
        url: str | None = paginator.first_url(prepared.url)
        records: list[Record] = []
        for _ in range(MAX_PAGINATED_REQUESTS):
            assert url is not None
            reply = await self.exchange.send(
                replace(prepared, url=url),
                result.log,
                scenario_id=scenario.id or "",
                auth=self.auth,
            )
            page = [
                r
                for r in self._records(scenario, request, scope, reply.document, True)
                if _filled(r)
            ]
            await self._follow_next(scenario, request, scope, page, result, False, 0)
            records += page
            url = paginator.next_url(url, reply.document, len(page))
            if url is None:
                return records
        result.warnings.append(
            f"stopped after {MAX_PAGINATED_REQUESTS} requests (the limit per sync); "
            f"{len(records)} records fetched, more are available"
        )
        return records
