"""The refusal of an integration operation, with the HTTP status the web layer answers."""

from __future__ import annotations


class IntegrationError(Exception):
    """An admin operation refused (``status``: 404, 409, 422, 502, …) with a clear message."""

    def __init__(
        self, status: int, message: str, problems: list[dict[str, str]] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.problems = problems or []
