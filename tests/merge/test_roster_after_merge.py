"""After a merge, the next OneRoster import finds the person in the kept account (roster_links.local_id, a
user id without a foreign key, follows the merge) and changes nothing."""
from __future__ import annotations

import sqlalchemy as sa

from lms.accounts.models import User
from lms.circles.models import Membership
from lms.extensions import db
from lms.merge.operations import merge_accounts
from lms.roster_sync.models import RosterImportState, RosterLink, RosterLinkKind
from tests.roster_sync.conftest import school, upload  # noqa: F401  (fixtures)
from tests.roster_sync.sample import roster_zip
from tests.roster_sync.test_import import _apply, _preview


def test_the_next_import_finds_the_kept_account(client, login, upload, school, make):  # noqa: F811
    login(school.admin)
    first = _apply(client, school, _preview(upload, school, roster_zip()))
    assert first.state == RosterImportState.applied
    imported = db.session.scalar(sa.select(User).where(User.email == "ada@hill.example"))
    # Ada also signed up herself; the admin keeps that account and merges the imported one into it
    own = make.user("Ada L.", "ada.own@mail.example")
    merge_accounts(own, imported, make.user(is_admin=True))
    db.session.commit()
    link = db.session.scalar(sa.select(RosterLink).where(RosterLink.kind == RosterLinkKind.user,
                                                         RosterLink.local_id.in_([own.id, imported.id])))
    assert link.local_id == own.id
    users = db.session.scalar(sa.select(sa.func.count()).select_from(User))
    before = db.session.execute(sa.select(Membership.id, Membership.user_id, Membership.status)
                                .order_by(Membership.id)).all()

    again = _preview(upload, school, roster_zip())
    changes = [line for line in again.lines if line.get("action") != "skip"]
    # the linked account (the kept one) may take the file's name; nobody is made again
    assert [(line["kind"], line["action"]) for line in changes] in ([], [("account", "update")]), changes
    again = _apply(client, school, again)
    assert again.state == RosterImportState.applied, again.problems
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == users
    assert db.session.execute(sa.select(Membership.id, Membership.user_id, Membership.status)
                              .order_by(Membership.id)).all() == before
