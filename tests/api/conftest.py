"""A class with a person in every role (and an org admin), its homework, and tokens to call the API with."""
from __future__ import annotations

from dataclasses import dataclass

import pytest

from lms.accounts import operations as account_ops
from lms.api import operations as api_ops
from lms.api.models import Scope
from lms.extensions import db
from lms.orgs import operations as org_ops
from lms.orgs.models import OrgRole
from tests.fixtures.factories import PASSWORD

ALL_SCOPES = [str(s) for s in Scope]
ROLES = ("owner", "teacher", "assistant", "student", "stranger", "orgadmin", "admin")
STAFF = ("owner", "teacher", "assistant", "orgadmin", "admin")


@dataclass
class World:
    klass: object
    draft: object
    published: object
    other_submission: object  # the classmate's
    own_submissions: list  # the student's two versions
    released: object  # the student's released grade
    unreleased: object  # the classmate's unreleased grade

    @property
    def circle(self):
        return self.klass.circle

    def user(self, role: str):
        return self.klass.users[role]


@pytest.fixture
def world(klass, hw, grading) -> World:
    """One class: an org admin of its school; a draft and a published assignment; the student handed in
    twice and the classmate once; the student's grade (90) is released, the classmate's (70) is not."""
    org = org_ops.create_org("Test School")
    klass.users["orgadmin"] = account_ops.register_user("orgadmin@api.example", PASSWORD, "Org Admin")
    org_ops.add_org_member(org, klass.users["orgadmin"], OrgRole.admin)
    klass.circle.org_id = org.id
    db.session.commit()
    draft = hw.assignment(klass.circle, publish=False, title="Draft work")
    published = hw.assignment(klass.circle, title="Published work", accepts="text")
    own = [hw.submission(published, klass.student, text="first"), hw.submission(published, klass.student, text="second")]
    other = hw.submission(published, klass.classmate, text="theirs")
    released = grading.grade(published, klass.student, klass.owner, score=90, release=True)
    unreleased = grading.grade(published, klass.classmate, klass.owner, score=70)
    return World(klass, draft, published, other, own, released, unreleased)


@pytest.fixture
def token_for(app):
    """token_for(user, scopes=all, days=30) → the secret of a new token."""

    def _make(user, scopes=None, days: int = 30):
        _token, secret = api_ops.create_token(user, name="test", scopes=scopes or ALL_SCOPES, days=days)
        db.session.commit()
        return secret

    return _make


@pytest.fixture
def api(client, token_for):
    """api(user_or_secret, path, **kw) → the response of GET /api/v1<path> with that token."""

    def _get(who, path: str, **kwargs):
        secret = who if isinstance(who, str) else token_for(who)
        headers = {"Authorization": f"Bearer {secret}", **kwargs.pop("headers", {})}
        return client.get("/api/v1" + path, headers=headers, **kwargs)

    return _get
