"""The app's `flask` commands; each domain adds its own group."""
from __future__ import annotations


def register(app) -> None:
    from lms.accounts.cli import cli as users_cli
    from lms.demo import cli as demo_cli
    from lms.jobs.cli import cli as jobs_cli
    from lms.uploads.cli import cli as media_cli

    app.cli.add_command(users_cli)
    app.cli.add_command(demo_cli)
    app.cli.add_command(media_cli)
    app.cli.add_command(jobs_cli)
