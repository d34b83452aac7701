"""`deskline serve` and `deskline worker` (being built)."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add the top-level serve and worker commands to the root app."""
