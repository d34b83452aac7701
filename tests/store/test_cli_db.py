"""`deskline db upgrade / current / downgrade` against a real SQLite file."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from deskline.cli import app
from deskline.store.migrate import head_revision

runner = CliRunner()


def test_upgrade_current_downgrade(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"
    head = head_revision()

    result = runner.invoke(app, ["db", "current", "--url", url])
    assert result.exit_code == 0, result.output
    assert "not migrated" in result.output

    result = runner.invoke(app, ["db", "upgrade", "--url", url])
    assert result.exit_code == 0, result.output
    assert f"database at revision {head}" in result.output

    result = runner.invoke(app, ["db", "current", "--url", url])
    assert result.output.strip() == f"{head} (latest)"

    result = runner.invoke(app, ["db", "downgrade", "base", "--url", url])
    assert result.exit_code == 0, result.output
    assert "base (empty)" in result.output


def test_upgrade_uses_the_settings_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DESKLINE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("DESKLINE_DATABASE_URL", raising=False)
    result = runner.invoke(app, ["db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "data" / "deskline.db").exists()


def test_unreachable_database_is_a_clear_error(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["db", "current", "--url", "postgresql+asyncpg://nobody@127.0.0.1:1/none"]
    )
    assert result.exit_code == 1
    assert "cannot reach the database postgresql+asyncpg://nobody@127.0.0.1:1/none" in result.output
