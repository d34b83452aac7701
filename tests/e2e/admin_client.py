"""deskline's admin API over HTTP, as an admin's scripts (and browser, for OAuth) use it."""

from __future__ import annotations

from typing import Any

import httpx

from tests.e2e.deskline_process import ADMIN_PASSWORD, DesklineProcess


class AdminClient:
    """Logged in as the first admin (bearer session token)."""

    def __init__(self, deskline: DesklineProcess) -> None:
        self.deskline = deskline
        self.http = httpx.Client(base_url=deskline.base_url, timeout=15)
        self.login()

    def __repr__(self) -> str:
        return f"AdminClient({self.deskline.base_url!r})"

    def login(self) -> None:
        answer = self.http.post(
            "/api/auth/login", json={"username": "admin", "password": ADMIN_PASSWORD}
        )
        assert answer.status_code == 200, answer.text
        self.http.headers["Authorization"] = f"Bearer {answer.json()['token']}"

    def close(self) -> None:
        self.http.close()

    def call(self, method: str, path: str, **kwargs: Any) -> Any:
        answer = self.http.request(method, path, **kwargs)
        assert answer.status_code < 300, f"{method} {path}: {answer.status_code} {answer.text}"
        return answer.json() if answer.content else None

    # --- the helpdesk ------------------------------------------------------------------------

    def connect_zendesk(self, fields: dict[str, str]) -> str:
        """Connect, then play the browser: the authorization URL (the emulator consents at
        once) redirects to deskline's callback. Returns the callback page's text."""
        started = self.call(
            "POST", "/api/helpdesk/connect", json={"template_key": "zendesk", "fields": fields}
        )
        assert started["authorization_url"], started  # status: authorizing, or needs_reauth
        with httpx.Client(timeout=15, follow_redirects=True) as browser:
            page = browser.get(started["authorization_url"])
        assert str(page.url).startswith(self.deskline.redirect_uri), page.url
        assert page.status_code == 200, page.text
        return page.text

    def helpdesk(self) -> dict[str, Any]:
        found: dict[str, Any] = self.call("GET", "/api/helpdesk")
        return found

    def settings(self) -> dict[str, Any]:
        found: dict[str, Any] = self.call("GET", "/api/helpdesk/settings")
        return found

    def put_settings(self, document: dict[str, Any]) -> dict[str, Any]:
        stored: dict[str, Any] = self.call("PUT", "/api/helpdesk/settings", json=document)
        return stored

    def refresh_users(self) -> dict[str, Any]:
        report: dict[str, Any] = self.call("POST", "/api/helpdesk/users/refresh")
        return report

    # --- extensions and bindings ---------------------------------------------------------------

    def add_extension(self, number: str, name: str, email: str) -> None:
        self.call("POST", "/api/extensions", json={"number": number, "name": name, "email": email})

    def auto_bind(self) -> dict[str, Any]:
        report: dict[str, Any] = self.call("POST", "/api/bindings/auto")
        return report

    def bindings(self) -> dict[str, dict[str, Any]]:
        """extension → binding."""
        found = self.call("GET", "/api/bindings")["bindings"]
        return {b["extension"]: b for b in found}

    def set_pop(self, extension: str, mode: str = "auto", trigger: str = "ringing") -> None:
        binding = self.bindings()[extension]
        self.call(
            "PATCH",
            f"/api/bindings/{binding['id']}",
            json={"pop_mode": mode, "pop_trigger": trigger},
        )

    def agent_websocket_url(self, extension: str) -> str:
        binding = self.bindings()[extension]
        answer = self.call("POST", f"/api/bindings/{binding['id']}/agent-token")
        return str(answer["websocket_url"])

    # --- PBX connections -----------------------------------------------------------------------

    def pbx_connections(self) -> dict[str, dict[str, Any]]:
        return {c["name"]: c for c in self.call("GET", "/api/pbx-connections")}

    def add_pbx_connection(self, name: str, kind: str, config: dict[str, Any]) -> dict[str, Any]:
        created: dict[str, Any] = self.call(
            "POST",
            "/api/pbx-connections",
            json={"name": name, "kind": kind, "enabled": True, "config": config},
        )
        return created

    def patch_pbx_connection(self, name: str, **changes: Any) -> None:
        connection = self.pbx_connections()[name]
        self.call("PATCH", f"/api/pbx-connections/{connection['id']}", json=changes)

    # --- calls and jobs ------------------------------------------------------------------------

    def calls(self, **filters: Any) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = self.call("GET", "/api/calls", params=filters)["calls"]
        return found

    def jobs(self, **filters: Any) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = self.call("GET", "/api/jobs", params=filters)["jobs"]
        return found
