"""`deskline template …`: validate a helpdesk template, print the template JSON Schema, and
try one scenario against the real helpdesk (`template try`, in :mod:`.template_try`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from deskline.cli.template_try import try_template
from deskline.templates.schema import template_json_schema_text
from deskline.templates.summary import TemplateSummary
from deskline.templates.validation import ValidationReport, validate_file

app = typer.Typer(no_args_is_help=True)
app.command("try")(try_template)


@app.command()
def validate(
    file: Annotated[
        Path, typer.Argument(exists=True, dir_okay=False, readable=True, help="Template XML.")
    ],
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
    strict: Annotated[bool, typer.Option("--strict", help="Fail on warnings too.")] = False,
) -> None:
    """Check a template: every problem as FILE:LINE:COL: PATH: message; exit 1 if invalid."""
    report = validate_file(file)
    failed = bool(report.errors) or (strict and bool(report.warnings))
    if as_json:
        typer.echo(json.dumps(_as_json(report, not failed), indent=2, ensure_ascii=False))
    else:
        for problem in report.problems:
            typer.echo(problem.format(str(file)))
        if not failed and report.summary is not None:
            _print_summary(report.summary)
        elif failed:
            typer.echo(
                f"{file}: invalid ({len(report.errors)} errors, {len(report.warnings)} warnings)",
                err=True,
            )
    raise typer.Exit(1 if failed else 0)


@app.command()
def schema() -> None:
    """Print the JSON Schema of the template model."""
    typer.echo(template_json_schema_text(), nl=False)


def _as_json(report: ValidationReport, valid: bool) -> dict[str, object]:
    return {
        "file": report.filename,
        "valid": valid,
        "errors": len(report.errors),
        "warnings": len(report.warnings),
        "problems": [p.as_dict() for p in report.problems],
        "summary": report.summary.as_dict() if report.summary else None,
    }


def _print_summary(summary: TemplateSummary) -> None:
    console = Console(highlight=False)
    features = ", ".join(name for name, on in summary.features.items() if on) or "none"
    fields = ", ".join(f"{name} ({editor})" for name, editor in summary.custom_fields) or "none"
    table = Table(title=f"{summary.name} — valid", show_header=False, title_justify="left")
    table.add_column(style="bold")
    table.add_column()
    table.add_row("Key", summary.key)
    table.add_row("Version", summary.version or "-")
    table.add_row("Auth type", summary.auth_type)
    table.add_row("Max concurrent requests", str(summary.max_concurrent_requests))
    table.add_row("Features", features)
    table.add_row("Custom fields", fields)
    table.add_row("Headers", ", ".join(summary.headers) or "none")
    table.add_row("Scenarios (requests)", "")
    for scenario_id, requests in summary.requests_by_scenario.items():
        table.add_row(f"  {scenario_id}", ", ".join(requests) or "(no requests)")
    table.add_row("Variables used", ", ".join(summary.variables_used) or "none")
    console.print(table)
