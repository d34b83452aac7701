"""Checking an uploaded template logo: PNG, JPG or JPEG, at most 500 KB, by its content.

The file name's extension must say PNG/JPG/JPEG *and* the first bytes must be that format's
signature, so a renamed file of another type is refused.
"""

from __future__ import annotations

from dataclasses import dataclass

MAX_LOGO_BYTES = 500 * 1024
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
JPEG_SIGNATURE = b"\xff\xd8\xff"
_MEDIA_TYPES = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg"}


class InvalidLogo(ValueError):
    """The logo cannot be used; the message says why."""


@dataclass(frozen=True)
class Logo:
    content: bytes
    media_type: str


def _sniff(content: bytes) -> str | None:
    if content.startswith(PNG_SIGNATURE):
        return "image/png"
    if content.startswith(JPEG_SIGNATURE):
        return "image/jpeg"
    return None


def check_logo(filename: str, content: bytes) -> Logo:
    """The logo and its media type, or :class:`InvalidLogo`."""
    suffix = "." + filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    declared = _MEDIA_TYPES.get(suffix)
    if declared is None:
        raise InvalidLogo(f"the logo {filename[:100]!r} must be a .png, .jpg or .jpeg file")
    if len(content) > MAX_LOGO_BYTES:
        raise InvalidLogo(
            f"the logo is {len(content) // 1024} KB; at most {MAX_LOGO_BYTES // 1024} KB"
        )
    actual = _sniff(content)
    if actual is None:
        raise InvalidLogo("the logo's content is not a PNG or JPEG image")
    if actual != declared:
        raise InvalidLogo(f"the logo is named {suffix} but its content is {actual}")
    return Logo(content, actual)
