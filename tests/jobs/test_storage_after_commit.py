"""Stored files follow the transaction: an old file is deleted once the change that drops it commits,
a new one is dropped when the change that stored it rolls back (lms.jobs.delete_stored_after_commit)."""
from __future__ import annotations

import io

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from lms.accounts.models import User
from lms.circles import operations as circle_ops
from lms.circles.models import Circle
from lms.extensions import db
from lms.storage import get_storage
from tests.fixtures.images import same_picture


def png_bytes(color=(255, 0, 0)) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (4, 4), color).save(out, "PNG")
    return out.getvalue()


class CommitFails(sa.exc.OperationalError):
    def __init__(self):
        super().__init__("COMMIT", {}, Exception("the database went away"))


@pytest.fixture
def failing_commit():
    """Make the next commit fail the way a lost database connection does (before anything is written)."""
    state = {"armed": False}

    def before_commit(session):
        if state["armed"]:
            state["armed"] = False
            raise CommitFails()

    sa.event.listen(Session, "before_commit", before_commit)
    yield state
    sa.event.remove(Session, "before_commit", before_commit)


def _profile(client, user, image: bytes):
    return client.post("/profile", data={"name": "Bob Stone", "locale": "", "timezone": "",
                                         "avatar": (io.BytesIO(image), "me.png")})


def _stored(prefix: str) -> set[str]:
    root = get_storage().path(prefix)
    return {f"{prefix}/{p.relative_to(root).as_posix()}" for p in root.rglob("*") if p.is_file()}


def test_an_avatar_replace_whose_commit_fails_keeps_the_old_avatar(client, make, login, failing_commit):
    """When the commit of an avatar change fails, is the old avatar still stored and served, and the
    new image not left behind?"""
    user = make.user()
    login(user)
    old_image, new_image = png_bytes(color=(0, 0, 255)), png_bytes(color=(255, 0, 0))
    assert _profile(client, user, old_image).status_code == 302
    old_key = db.session.get(User, user.id).avatar_key
    before = _stored("avatars")

    failing_commit["armed"] = True
    with pytest.raises(CommitFails):
        _profile(client, user, new_image)

    db.session.remove()
    assert db.session.get(User, user.id).avatar_key == old_key
    assert get_storage().exists(old_key)
    served = client.get(f"/users/{user.id}/avatar")
    assert served.status_code == 200 and same_picture(served.data, old_image)
    assert _stored("avatars") == before  # the new image was dropped with its transaction


def test_an_avatar_replace_that_commits_deletes_the_old_file_then(client, make, login):
    """Does a committed avatar change delete the old file (and only after the commit)?"""
    user = make.user()
    user_id = user.id
    login(user)
    _profile(client, user, png_bytes(color=(0, 0, 255)))
    old_key = db.session.get(User, user_id).avatar_key
    new_image = png_bytes(color=(255, 0, 0))
    assert _profile(client, user, new_image).status_code == 302
    db.session.remove()
    new_key = db.session.get(User, user_id).avatar_key
    assert new_key != old_key and not get_storage().exists(old_key) and get_storage().exists(new_key)
    assert same_picture(client.get(f"/users/{user_id}/avatar").data, new_image)


def test_removing_an_avatar_keeps_the_file_until_the_commit(app, make):
    """Is a removed avatar still stored while the removal is uncommitted, and after a rollback?"""
    from lms.accounts import operations as account_ops

    user = make.user()
    with app.test_request_context():
        account_ops.update_profile(user, name=user.name, locale=None, timezone=None,
                                   avatar=io.BytesIO(png_bytes()))
        db.session.commit()
        key = user.avatar_key
        account_ops.update_profile(user, name=user.name, locale=None, timezone=None, remove_avatar=True)
        db.session.flush()
        assert get_storage().exists(key)
        db.session.rollback()
        assert get_storage().exists(key) and db.session.get(User, user.id).avatar_key == key
        account_ops.update_profile(user, name=user.name, locale=None, timezone=None, remove_avatar=True)
        db.session.commit()
        assert not get_storage().exists(key)


def test_a_cover_replace_follows_its_transaction(app, make):
    """Does replacing a circle's cover keep the old file on rollback (and drop the new one), and delete
    the old one only once the replacement commits?"""
    owner = make.user()
    circle = make.circle(owner)
    with app.test_request_context():
        circle_ops.set_cover(circle, io.BytesIO(png_bytes(color=(0, 0, 255))))
        db.session.commit()
        old_key = circle.cover_key

        circle_ops.set_cover(circle, io.BytesIO(png_bytes(color=(255, 0, 0))))
        rolled_back_key = circle.cover_key
        db.session.rollback()
        assert get_storage().exists(old_key) and not get_storage().exists(rolled_back_key)
        assert db.session.get(Circle, circle.id).cover_key == old_key

        circle_ops.set_cover(circle, io.BytesIO(png_bytes(color=(255, 0, 0))))
        new_key = circle.cover_key
        assert get_storage().exists(old_key)  # still named by the committed row
        db.session.commit()
        assert not get_storage().exists(old_key) and get_storage().exists(new_key)
