"""What every command shares: the transaction, the actor, errors, passwords."""

from __future__ import annotations

import getpass
import os
import sys
from contextlib import contextmanager

import click
from sqlalchemy.exc import SQLAlchemyError

from .. import passwords
from ..db import get_session
from ..services import Actor, ServiceError


def cli_actor() -> Actor:
    # The shell user is trusted (they can read the database anyway); the
    # audit trail records who ran the command.
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = str(os.getuid())
    return Actor.system(f"cli:{user}")


@contextmanager
def transaction():
    """One transaction per command: commit on success, roll back and exit
    non-zero with a one-line reason on any rule violation."""
    session = get_session()
    try:
        yield session, cli_actor()
        session.commit()
    except ServiceError as exc:
        session.rollback()
        raise click.ClickException(str(exc)) from None
    except SQLAlchemyError as exc:
        session.rollback()
        reason = getattr(exc, "orig", None) or exc
        raise click.ClickException(f"database error: {str(reason).splitlines()[0]}") from None
    except BaseException:
        session.rollback()
        raise


def password_option(function):
    return click.option(
        "--password-stdin",
        is_flag=True,
        help="Read the password from the first line of standard input (otherwise one is generated and printed once).",
    )(function)


def obtain_password(from_stdin: bool) -> tuple[str, bool]:
    """(password, generated?)"""
    if from_stdin:
        line = sys.stdin.readline().rstrip("\r\n")
        if not line:
            raise click.ClickException("no password on standard input")
        return line, False
    return passwords.generate(), True


def print_generated(label: str, password: str) -> None:
    click.echo(f"{label} password (shown once): {password}")
