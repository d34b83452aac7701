"""The ``deskline`` command: serve, worker, db, pbx, simulate, template.

Each command group lives in its own module; this module only assembles them.
"""

from __future__ import annotations

import typer

from deskline.cli import db, jobs, pbx, serve, simulate, template

app = typer.Typer(
    name="deskline",
    help="Connect a PBX to a helpdesk.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)
serve.register(app)
app.add_typer(db.app, name="db", help="Database migrations.")
app.add_typer(jobs.app, name="jobs", help="Outbox jobs: list, show, retry failed ones.")
app.add_typer(pbx.app, name="pbx", help="PBX tools: replay recorded sessions, originate calls.")
app.add_typer(simulate.app, name="simulate", help="Drive a running deskline with fake calls.")
app.add_typer(template.app, name="template", help="Validate and try helpdesk templates.")


def main() -> None:
    app()
