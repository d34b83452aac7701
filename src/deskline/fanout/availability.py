"""Whether the service a relay depends on answers; each change is logged once."""

from __future__ import annotations

import logging


class Availability:
    """``available`` until :meth:`lost`, again after :meth:`back`; logs each change once
    (``lost`` is formatted with the exception's type name)."""

    def __init__(self, log: logging.Logger, lost: str, back: str) -> None:
        self.available = True
        self._log = log
        self._lost = lost
        self._back = back

    def lost(self, exc: BaseException) -> None:
        if self.available:
            self.available = False
            self._log.warning(self._lost, type(exc).__name__)

    def back(self) -> None:
        if not self.available:
            self.available = True
            self._log.info(self._back)
