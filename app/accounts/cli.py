"""``flask create-admin``: make an account an administrator."""

from __future__ import annotations

import sys

import click
from flask import Flask
from flask.cli import with_appcontext


@click.command("create-admin")
@click.option("--email", required=True, help="E-mail address of the administrator.")
@click.option("--name", "display_name", required=True, help="Name shown to others.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input instead of prompting.")
@with_appcontext
def create_admin_command(email: str, display_name: str, password_stdin: bool) -> None:
    """Grant the global admin role to EMAIL, creating a verified account if there is none.

    An existing account keeps its password; a new one asks for a password
    (twice) unless --password-stdin is given.
    """
    from app.accounts.services import create_admin, find_user_by_email, password_problem
    from app.core.db import db
    from app.core.errors import DomainError

    session = db.session
    password = None
    if find_user_by_email(session, email) is None:
        if password_stdin:
            password = sys.stdin.readline().rstrip("\r\n")
        else:
            password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
        problem = password_problem(password, email=email, display_name=display_name)
        if problem:
            raise click.ClickException(f"password refused: {problem}")
    try:
        user, granted = create_admin(session, email=email, display_name=display_name, password=password)
    except DomainError as err:
        session.rollback()
        raise click.ClickException(str(err.message)) from err
    session.commit()
    if granted:
        click.echo(f"{user.email} is now an administrator (user id {user.id}).")
    else:
        click.echo(f"{user.email} is already an administrator; nothing changed.")


def register(app: Flask) -> None:
    app.cli.add_command(create_admin_command)
