"""The arrows of docs/architecture: which deskline packages may import which.

A small AST check instead of a tool: it reads every module under src/deskline and fails with
the offending import when a layer reaches up or sideways where it must not.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parent.parent / "src" / "deskline"

# package -> deskline packages/modules it must never import
FORBIDDEN: dict[str, set[str]] = {
    "calls": {
        "pbx",
        "templates",
        "connector",
        "pipeline",
        "outbox",
        "store",
        "web",
        "cli",
        "ingest",
    },
    "phones": {
        "calls",
        "pbx",
        "templates",
        "connector",
        "pipeline",
        "outbox",
        "store",
        "web",
        "cli",
    },
    "templates": {
        "calls",
        "pbx",
        "connector",
        "pipeline",
        "outbox",
        "store",
        "web",
        "cli",
        "ingest",
    },
    "connector": {"calls", "pbx", "pipeline", "outbox", "store", "web", "cli", "ingest"},
    "pbx": {"templates", "connector", "pipeline", "outbox", "web", "cli", "ingest"},
    "outbox": {"pbx", "templates", "connector", "pipeline", "web", "cli"},
    "store": {"pbx", "templates", "connector", "pipeline", "outbox", "web", "cli", "ingest"},
}
# Exceptions that are part of the design, with the reason.
ALLOWED: dict[str, set[str]] = {
    # the simulator's CLI helper reads its own connection's token from the local database
    "pbx/simulator": {"store"},
}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        else:
            continue
        for name in names:
            parts = name.split(".")
            if parts[0] == "deskline" and len(parts) > 1:
                found.add(parts[1])
    return found


def _layer(path: Path) -> str:
    rel = path.relative_to(SRC)
    return rel.parts[0].removesuffix(".py")


def _allowed(path: Path, target: str) -> bool:
    rel = path.relative_to(SRC).as_posix()
    return any(rel.startswith(prefix) and target in targets for prefix, targets in ALLOWED.items())


MODULES = sorted(SRC.rglob("*.py"))


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.relative_to(SRC).as_posix())
def test_module_respects_the_layering(path: Path) -> None:
    forbidden = FORBIDDEN.get(_layer(path), set())
    bad = sorted(t for t in _imports(path) & forbidden if not _allowed(path, t))
    assert not bad, f"{path.relative_to(SRC)} imports {bad}, which its layer must not use"


def test_the_check_sees_modules() -> None:
    assert len(MODULES) > 10
    assert "calls" in {_layer(p) for p in MODULES}
