"""Fixtures shared by the whole suite."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
REFERENCE_DIR = Path(
    os.environ.get("DESKLINE_REFERENCE_DIR", REPO_ROOT.parent / "shared" / "reference")
)
AMI_CAPTURES = REFERENCE_DIR / "asterisk" / "ami-captures"

pytest_plugins = ["tests.db_fixtures"]


def services_required() -> bool:
    """In CI the real PostgreSQL and Redis servers must be there: no silent skipping."""
    return os.environ.get("DESKLINE_REQUIRE_SERVICES") == "1"


@pytest.fixture(scope="session")
def reference_dir() -> Path:
    if not REFERENCE_DIR.is_dir():
        pytest.fail(f"the shared reference directory is missing: {REFERENCE_DIR}")
    return REFERENCE_DIR


@pytest.fixture(scope="session")
def ami_captures(reference_dir: Path) -> Path:
    return reference_dir / "asterisk" / "ami-captures"
