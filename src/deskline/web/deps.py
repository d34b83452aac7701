"""What routes get from the app: the runtime and the auth machinery (set by ``create_app``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from deskline.runtime.services import Runtime
from deskline.web.auth.sessions import AuthOptions, SessionCodec
from deskline.web.auth.throttle import LoginThrottle


@dataclass
class AuthState:
    options: AuthOptions
    codec: SessionCodec
    throttle: LoginThrottle


def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


def get_auth(request: Request) -> AuthState:
    auth: AuthState = request.app.state.auth
    return auth


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
AuthDep = Annotated[AuthState, Depends(get_auth)]
