"""Loading the PBX kinds deskline ships: importing each package registers its kind."""

from __future__ import annotations

import importlib
import logging

from pydantic import BaseModel

from deskline.pbx.base import adapter_kinds

log = logging.getLogger(__name__)

BUILTIN_ADAPTER_PACKAGES = (
    "deskline.pbx.asterisk",
    "deskline.pbx.pseries",
    "deskline.pbx.webhook",
    "deskline.pbx.simulator",
)


def load_adapter_kinds() -> dict[str, type[BaseModel]]:
    """Register every bundled PBX kind and return them all (kind → config model).

    A package that fails to import is logged and left out, so one broken adapter does not
    keep deskline (and the other PBX kinds) from starting."""
    for package in BUILTIN_ADAPTER_PACKAGES:
        try:
            importlib.import_module(package)
        except Exception:
            log.exception("PBX adapter package %s could not be loaded", package)
    return adapter_kinds()
