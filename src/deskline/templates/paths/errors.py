"""The error a path raises when its syntax is wrong."""

from __future__ import annotations

from deskline.errors import TemplateError


class PathSyntaxError(TemplateError):
    """A GJSON or JSONPath path does not parse; ``offset`` is 0-based in the path string."""

    def __init__(self, message: str, offset: int) -> None:
        super().__init__(f"{message} (at character {offset + 1})")
        self.message = message
        self.offset = offset
