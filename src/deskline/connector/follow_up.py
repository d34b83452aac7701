"""Follow-up requests (F18): extra requests run on an event, whose answers set variables.

Each request of the ``FollowUpRequests`` scenario has a ``Trigger``:

* ``after_auth`` — after the OAuth2 code exchange, and before the first scenario a connector
  runs (a session login for the other auth types); again when a bearer token is rejected;
* ``before_request`` — before each scenario run;
* ``token_refreshed`` — after the OAuth2 access token was refreshed.

Headers and body are ``Type="Header"``/``Type="Body"`` parameters; the template's default
headers are not sent. Each Output assigns the value at its Path (JSONPath ``$…`` or GJSON) to
the variable named by its Name; ``Name="a,b" Path="$.x,$.y"`` assigns in order.
"""

from __future__ import annotations

from collections.abc import Callable

import httpx

from deskline.connector.exchange import Exchange
from deskline.connector.requests import render_request
from deskline.connector.results import RequestLogEntry
from deskline.connector.scope import Scope
from deskline.errors import TemplateError, TemplateRenderError
from deskline.templates.expressions import RenderMode
from deskline.templates.model import FollowUpTrigger, HelpdeskTemplate, Request, ScenarioId
from deskline.templates.paths import extract, split_paths


class FollowUpRunner:
    """Runs the follow-up requests of one trigger and keeps the variables they set."""

    def __init__(
        self,
        template: HelpdeskTemplate,
        exchange: Exchange,
        auth: Callable[[], httpx.Auth | None],
    ) -> None:
        self.template = template
        self.exchange = exchange
        self._auth = auth
        self.values: dict[str, object] = {}
        self._where = f"{template.key or template.name or 'template'}: FollowUpRequests"

    def has(self, trigger: FollowUpTrigger) -> bool:
        return bool(self.template.follow_up_requests(trigger))

    async def run(
        self, trigger: FollowUpTrigger, scope: Scope, log: list[RequestLogEntry]
    ) -> dict[str, object]:
        """Runs the requests of ``trigger`` in order; returns every variable assigned."""
        assigned: dict[str, object] = {}
        for request in self.template.follow_up_requests(trigger):
            current = scope.with_values({**self.values})
            prepared = render_request(request, current, self._where)
            if prepared is None:
                self.exchange.log_skipped(
                    log, ScenarioId.FOLLOW_UP_REQUESTS.value, request.name or ""
                )
                continue
            reply = await self.exchange.send(
                prepared, log, scenario_id=ScenarioId.FOLLOW_UP_REQUESTS.value, auth=self._auth()
            )
            values = self._assignments(request, current, reply.document)
            self.values.update(values)
            assigned.update(values)
        return assigned

    def _assignments(self, request: Request, scope: Scope, document: object) -> dict[str, object]:
        if document is None:
            return {}
        values: dict[str, object] = {}
        where = f"{self._where}, request {request.name}"
        for output in request.output_items:
            names = [n.strip() for n in (output.name or "").split(",") if n.strip()]
            path_source = scope.render(output.path or "", RenderMode.PATH, f"{where}, Output")
            paths = split_paths(path_source)
            for name, path in zip(names, paths, strict=False):
                try:
                    value = extract(path, document)
                except TemplateError as exc:
                    raise TemplateRenderError(f"{where}, Output {name}: {exc}") from None
                if isinstance(value, list) and path.startswith("$") and value:
                    value = value[0]
                values[name] = value
        return values
