"""`flask users ...`: account commands for operators."""
from __future__ import annotations

import click
from flask.cli import with_appcontext

from lms.accounts import operations as ops
from lms.accounts.passwords import password_problem
from lms.extensions import db


@click.group("users")
def cli():
    """Manage user accounts."""


@cli.command("create-admin")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.password_option(envvar="LMS_ADMIN_PASSWORD",
                       help="Asked twice when not given; a script sets LMS_ADMIN_PASSWORD instead (a command line "
                            "is visible to every user of the machine).")
@with_appcontext
def create_admin(email: str, name: str, password: str):
    """Create a site administrator (exits 1 with the reason if the email is taken or the password weak)."""
    problem = password_problem(password, email, name)
    if problem:
        raise click.ClickException(problem)
    try:
        ops.register_user(email, password, name, is_admin=True)
    except ops.AccountError as error:
        raise click.ClickException(str(error)) from None
    db.session.commit()
    click.echo(f"administrator {email} created")


@cli.command("sign-out")
@click.argument("email")
@with_appcontext
def sign_out(email: str):
    """End every session of the account EMAIL (a lost phone, a shared computer); exits 1 if unknown."""
    from lms.accounts.queries import get_user_by_email

    user = get_user_by_email(email)
    if user is None:
        raise click.ClickException(f"no account uses {email}")
    count = ops.end_sessions(user)
    db.session.commit()
    click.echo(f"{count} session(s) of {user.email} ended")
