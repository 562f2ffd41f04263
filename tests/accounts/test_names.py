"""A person's name is one line of visible text on every path that stores it, not only through the forms:
the operator's `flask users create-admin`, the operations a demo loader, a job or an API calls."""
from __future__ import annotations

import unicodedata

import pytest

from lms.accounts import operations as ops
from lms.accounts.models import RegistrationRequest, User
from lms.extensions import db
from tests.fixtures.factories import PASSWORD

INVISIBLE = "Type at least one visible letter, digit or sign: invisible characters alone show blank."
REVERSING = "Characters that reverse the direction of text are not allowed here."
CONTROL = "Line breaks, tabs and control characters are not allowed here."

#: The issue's names (U+200B, U+3164, U+202E) and the rest of their kind.
BAD_NAMES = [
    pytest.param("\u200b", INVISIBLE, id="zero-width-space"),
    pytest.param("\u3164", INVISIBLE, id="hangul-filler"),
    pytest.param("Ann\u202eevil.exe", REVERSING, id="right-to-left-override"),
    pytest.param("\u115f\u1160\uffa0 \u2800", INVISIBLE, id="fillers-and-braille-blank"),
    pytest.param("a\u2066b\u2069", REVERSING, id="isolate"),
    pytest.param("Eve\r\nBcc: all@example.org", CONTROL, id="cr-lf"),
    pytest.param("tab\there", CONTROL, id="tab"),
    pytest.param("   ", "This field is required.", id="blank"),
    pytest.param("x" * 101, "At most 100 characters.", id="too-long"),
]


def _users(email: str) -> int:
    return db.session.scalar(db.select(db.func.count()).select_from(User).where(User.email == email))


@pytest.mark.parametrize("name, message", BAD_NAMES)
def test_create_admin_command_refuses_such_names(app, name, message):
    """Does `flask users create-admin` refuse such a name with its reason (exit 1) and create nobody?"""
    result = app.test_cli_runner().invoke(args=["users", "create-admin", "--email", "root@example.org",
                                                "--name", name, "--password", PASSWORD + "x!"])
    assert result.exit_code == 1 and message in result.output
    assert _users("root@example.org") == 0


def test_create_admin_command_stores_the_name_cleaned(app):
    """A typical name typed with padding and a decomposed ë: is it stored NFC and stripped?"""
    result = app.test_cli_runner().invoke(args=["users", "create-admin", "--email", "zoe@example.org",
                                                "--name", "  Zoe\u0308 Li ", "--password", PASSWORD + "x!"])
    assert result.exit_code == 0, result.output
    user = db.session.scalar(db.select(User).where(User.email == "zoe@example.org"))
    assert user.name == "Zoë Li" == unicodedata.normalize("NFC", "Zoe\u0308 Li") and user.is_admin


@pytest.mark.parametrize("name, message", BAD_NAMES)
def test_every_account_operation_refuses_such_names(make, name, message):
    """Do register_user, request_registration and update_profile each refuse such a name with its reason,
    storing nothing (no account, no pending registration, the old name kept)?"""
    with pytest.raises(ops.AccountError, match=message):
        ops.register_user("new@example.org", PASSWORD, name)
    with pytest.raises(ops.AccountError, match=message):
        ops.request_registration("pending@example.org", PASSWORD, name)
    db.session.rollback()
    assert _users("new@example.org") == 0
    assert db.session.scalar(db.select(RegistrationRequest).where(
        RegistrationRequest.email == "pending@example.org")) is None
    bob = make.user("Bob Stone")
    with pytest.raises(ops.AccountError, match=message):
        ops.update_profile(bob, name=name, locale=None, timezone=None)
    db.session.rollback()
    assert db.session.get(User, bob.id).name == "Bob Stone"


@pytest.mark.parametrize("good", ["Zoë", "王小明", "محمد", "👩🏽‍🏫 Ms K", "O’Brien-Smith", "Ａｎｎ", "n\u0303"])
def test_real_names_of_every_script_still_pass(make, good):
    """Do ordinary names of every script (emoji with joiners, combining marks) still save, NFC?"""
    bob = make.user("Bob Stone")
    ops.update_profile(bob, name=f" {good} ", locale=None, timezone=None)
    db.session.commit()
    assert db.session.get(User, bob.id).name == unicodedata.normalize("NFC", good)
