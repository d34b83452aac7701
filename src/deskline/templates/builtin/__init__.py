"""The helpdesk templates bundled with deskline (one ``<key>.xml`` file each, in this folder)."""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path

from deskline.errors import TemplateError
from deskline.templates.model.template import HelpdeskTemplate
from deskline.templates.validation import load_valid_template


def builtin_template_paths() -> list[Path]:
    """The bundled template files, sorted by name."""
    return list(_bundled_paths())


@cache
def _bundled_paths() -> tuple[Path, ...]:
    """The package's files do not change while it runs: listed once (this is asked per job)."""
    folder = resources.files(__name__)
    return tuple(sorted(Path(str(e)) for e in folder.iterdir() if e.name.endswith(".xml")))


def builtin_template_keys() -> list[str]:
    return [path.stem for path in _bundled_paths()]


def load_builtin_template(key: str) -> HelpdeskTemplate:
    """A bundled template by its file name (without .xml); it is validated on loading."""
    for path in builtin_template_paths():
        if path.stem == key:
            return load_valid_template(path.read_bytes(), path.name)
    known = ", ".join(builtin_template_keys()) or "none"
    raise TemplateError(f"no bundled template {key!r} (bundled: {known})")
