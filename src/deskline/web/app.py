"""The FastAPI application: the admin REST API, the PBX webhooks, OpenAPI docs at ``/docs``.

``create_app(runtime)`` builds it; its lifespan starts and stops the runtime (PBX supervisor,
tracker ticks, in-process worker).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

import deskline
from deskline.runtime.services import Runtime
from deskline.web.agent_ws import router as agent_ws_router
from deskline.web.api import (
    auth,
    bindings,
    calls,
    click_to_call,
    extensions,
    health,
    helpdesk,
    jobs,
    pbx_connections,
    phonebook,
    templates,
)
from deskline.web.auth.sessions import AuthOptions, SessionCodec
from deskline.web.auth.throttle import LoginThrottle
from deskline.web.deps import AuthState
from deskline.web.errors import install_error_handlers
from deskline.web.metrics import router as metrics_router
from deskline.web.pbx_webhooks import install_pbx_webhooks
from deskline.web.recordings import router as recordings_router
from deskline.web.webhook_targets import webhook_resolver

DESCRIPTION = """\
Administer deskline: PBX connections, calls, jobs, helpdesk templates, click-to-call.

**Authentication.** Log in with `POST /api/auth/login` (JSON `username`, `password`): the
answer sets an HttpOnly session cookie and carries the same session as `token`, usable as
`Authorization: Bearer <token>`. Long-lived API tokens: `POST /api/auth/tokens`. Requests
authenticated by the cookie that change something (POST, PUT, PATCH, DELETE) must send the
header `X-Requested-With` (any value) — protection against cross-site request forgery.

**Errors** are JSON objects with a `message` (and `problems` where there are several).
"""


def _auth_state(runtime: Runtime, options: AuthOptions | None) -> AuthState:
    if options is None:
        secure = runtime.settings.effective_public_url.startswith("https://")
        options = AuthOptions(secure_cookie=secure)
    return AuthState(
        options=options,
        codec=SessionCodec(runtime.settings.effective_secret_key, options.session_max_age_seconds),
        throttle=LoginThrottle(
            runtime.db,
            max_failures=options.max_failures,
            window_seconds=options.failure_window_seconds,
            lockout_seconds=options.lockout_seconds,
        ),
    )


def create_app(runtime: Runtime, *, auth_options: AuthOptions | None = None) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await runtime.start()
        try:
            yield
        finally:
            await runtime.stop()

    app = FastAPI(
        title="deskline",
        version=deskline.__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
    )
    app.state.runtime = runtime
    app.state.auth = _auth_state(runtime, auth_options)
    install_error_handlers(app)
    # the PBX's events are most of the requests: served before FastAPI's routing (the routes
    # stay declared, first, for the API's description)
    install_pbx_webhooks(app, webhook_resolver(runtime))
    for router in (
        health.public,
        auth.public,
        auth.router,
        health.router,
        pbx_connections.router,
        calls.router,
        click_to_call.router,
        jobs.router,
        templates.router,
        helpdesk.router,
        helpdesk.public,
        bindings.router,
        extensions.router,
        phonebook.router,
        phonebook.caller_id,
    ):
        app.include_router(router)
    app.include_router(agent_ws_router)
    app.include_router(recordings_router)
    app.include_router(metrics_router)
    return app
