"""The error a template expression raises when its source cannot be compiled."""

from __future__ import annotations

from deskline.errors import TemplateError


class ExpressionSyntaxError(TemplateError):
    """A template expression does not compile.

    ``offset`` is the 0-based character offset in the source string where the problem is, so
    a validator can turn it into a line and column inside the XML attribute that holds it.
    """

    def __init__(self, message: str, offset: int) -> None:
        super().__init__(f"{message} (at character {offset + 1})")
        self.message = message
        self.offset = offset
