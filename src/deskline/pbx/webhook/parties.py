"""Parties from PBX numbers: normalised to E.164 (or kept as an extension), original kept."""

from __future__ import annotations

from deskline.calls.model import Party
from deskline.phones import NumberNormaliser


def make_party(normaliser: NumberNormaliser, raw: str | None, name: str | None = None) -> Party:
    """The party for a number as the PBX sent it; an empty or anonymous number has none."""
    text = (raw or "").strip()
    number = normaliser.normalise(text)
    return Party(
        number=number.value,
        raw=text or None,
        name=(name or None),
        is_extension=number.is_extension,
    )
