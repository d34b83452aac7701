"""What every PBX adapter offers, and the registry of adapter kinds.

A PBX is code: one package per PBX under ``deskline.pbx`` behind :class:`PbxAdapter`, with a
pydantic config model (:attr:`PbxAdapter.config_model`) that drives both validation and the
admin form. Adapters know nothing of helpdesks: they turn the PBX's signals into
:mod:`deskline.calls.events` and hand them to an :data:`EventSink`, which stores them before it
returns — only then may the adapter acknowledge them to the PBX.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar, Protocol, runtime_checkable

from pydantic import BaseModel

from deskline.calls.events import CallEvent
from deskline.pbx.recordings import FetchedRecording

EventSink = Callable[[Sequence[CallEvent]], Awaitable[None]]
"""Stores events durably (deduplicated by their key) and returns once they are committed."""


@dataclass(frozen=True, slots=True)
class OriginateResult:
    """What the PBX said to a click-to-call request."""

    accepted: bool
    call_id: str | None = None
    message: str = ""
    details: dict[str, str] = field(default_factory=dict)


@runtime_checkable
class PbxAdapter(Protocol):
    """One connection to one PBX."""

    kind: ClassVar[str]
    config_model: ClassVar[type[BaseModel]]

    async def run(self, sink: EventSink) -> None:
        """Connect, stream events into ``sink`` and reconnect on failure until cancelled."""

    async def originate(
        self, extension: str, number: str, *, variables: dict[str, str] | None = None
    ) -> OriginateResult:
        """Click-to-call: ring ``extension`` and, once it answers, dial ``number``."""

    async def fetch_recording(self, ref: str, destination: Path) -> FetchedRecording:
        """Write the recording ``ref`` (a call's ``recording``) to ``destination`` (F30).

        Raises :class:`~deskline.pbx.recordings.RecordingNotReadyError` while the PBX has no
        complete file yet, :class:`~deskline.pbx.recordings.RecordingUnavailableError` when it
        cannot provide it at all."""

    async def close(self) -> None:
        """Release connections; ``run`` returns soon after."""


AdapterFactory = Callable[[BaseModel], PbxAdapter]

_registry: dict[str, tuple[type[BaseModel], AdapterFactory]] = {}


def register_adapter(kind: str, config_model: type[BaseModel], factory: AdapterFactory) -> None:
    """Make a PBX kind available to the admin API and ``serve``."""
    _registry[kind] = (config_model, factory)


def adapter_kinds() -> dict[str, type[BaseModel]]:
    return {kind: model for kind, (model, _) in _registry.items()}


def build_adapter(kind: str, config: dict[str, object]) -> PbxAdapter:
    """An adapter from its kind and stored config (validated by the kind's config model)."""
    try:
        model, factory = _registry[kind]
    except KeyError:
        raise KeyError(
            f"unknown PBX kind {kind!r}; known: {', '.join(sorted(_registry))}"
        ) from None
    return factory(model.model_validate(config))
