"""The Zendesk emulator process, steered and inspected over its control API (``/_emulator``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from tests.e2e.processes import PYTHON, ChildProcess, child_env, free_port, wait_until


class ZendeskProcess:
    """``python -m tests.e2e.zendesk_process`` on a free port, and its control API."""

    def __init__(self, cwd: Path, *, rate_limit: int = 2500, http: str = "h11") -> None:
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        repo = Path(__file__).resolve().parents[2]
        self.process = ChildProcess(
            [
                PYTHON, "-m", "tests.e2e.zendesk_process",
                "--port", str(self.port), "--rate-limit", str(rate_limit), "--http", http,
            ],
            child_env(PYTHONPATH=str(repo)),
            cwd,
            "zendesk-emulator",
        )  # fmt: skip
        self.http = httpx.Client(base_url=self.base_url, timeout=10)
        wait_until(self._up, seconds=30, what="the Zendesk emulator")

    def __repr__(self) -> str:
        return f"ZendeskProcess({self.base_url!r})"

    def _up(self) -> bool:
        if not self.process.running:
            raise AssertionError(self.process.output())
        try:
            return self.http.get("/_emulator/config").status_code == 200
        except httpx.HTTPError:
            return False

    def close(self) -> None:
        self.http.close()
        self.process.stop()

    # --- seeding and switches ----------------------------------------------------------------

    def _ok(self, response: httpx.Response) -> Any:
        assert response.status_code < 300, f"{response.request.url}: {response.text}"
        return response.json() if response.content else None

    def register_client(self, redirect_url: str) -> str:
        """The OAuth client ``deskline``; returns its secret."""
        body = self._ok(
            self.http.post(
                "/_emulator/oauth/clients",
                json={"identifier": "deskline", "redirect_urls": [redirect_url]},
            )
        )
        return str(body["secret"])

    def add_user(self, name: str, role: str = "end-user", **fields: Any) -> dict[str, Any]:
        user: dict[str, Any] = self._ok(
            self.http.post("/_emulator/users", json={"name": name, "role": role, **fields})
        )["user"]
        return user

    def configure(self, **switches: Any) -> None:
        self._ok(self.http.patch("/_emulator/config", json=switches))

    def add_fault(self, pattern: str, **rule: Any) -> None:
        self._ok(self.http.post("/_emulator/faults", json={"pattern": pattern, **rule}))

    def clear_faults(self) -> None:
        self._ok(self.http.delete("/_emulator/faults"))

    def storm(self, **body: Any) -> None:
        self._ok(self.http.post("/_emulator/rate-limit/storm", json=body))

    def stop_storm(self) -> None:
        self._ok(self.http.delete("/_emulator/rate-limit/storm"))

    def revoke(self, **body: Any) -> int:
        return int(self._ok(self.http.post("/_emulator/oauth/revoke", json=body))["revoked"])

    def advance_clock(self, seconds: float) -> None:
        self._ok(self.http.post("/_emulator/clock/advance", json={"seconds": seconds}))

    # --- inspection --------------------------------------------------------------------------

    def state(self) -> dict[str, Any]:
        state: dict[str, Any] = self._ok(self.http.get("/_emulator/state"))
        return state

    def requests(self, method: str | None = None, path: str | None = None) -> list[dict[str, Any]]:
        params = {k: v for k, v in (("method", method), ("path", path)) if v}
        found: list[dict[str, Any]] = self._ok(self.http.get("/_emulator/requests", params=params))
        return found

    def clear_requests(self) -> None:
        self._ok(self.http.delete("/_emulator/requests"))

    def validation_errors(self) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = self._ok(self.http.get("/_emulator/validation-errors"))
        return found

    def displays(self) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = self._ok(self.http.get("/_emulator/displays"))
        return found

    def users(self, role: str | None = None) -> list[dict[str, Any]]:
        return [u for u in self.state()["users"] if role is None or u["role"] == role]

    def tickets(self) -> list[dict[str, Any]]:
        tickets: list[dict[str, Any]] = self.state()["tickets"]
        return tickets
