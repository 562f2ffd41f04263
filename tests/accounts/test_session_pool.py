"""Recording that a session was seen never needs a second database connection while the request holds
one: with as many requests as the pool has connections, that deadlocked every upload worker of the
500-student rush (each thread held one connection and waited for another)."""
from __future__ import annotations

from datetime import timedelta

from lms.accounts import operations as account_ops
from lms.accounts.models import User, UserSession
from lms.config import TestConfig
from lms.core.types import utcnow
from lms.extensions import db
from tests.fixtures.app import create_isolated_app
from tests.fixtures.factories import sign_in

PASSWORD = "correct horse battery"


def test_a_page_that_records_the_session_seen_works_with_a_pool_of_one_connection(tmp_path):
    """One pooled connection and no overflow: a signed-in page whose session is due to be marked seen
    (and whose browser language changed) answers 200 and records both, instead of waiting for a second
    connection until the pool gives up."""

    class OneConnection(TestConfig):
        INSTANCE_PATH = str(tmp_path)
        # a file of its own (never the suite's PostgreSQL database, whose tables other tests use):
        # the pool, not the database, is what deadlocked
        SQLALCHEMY_DATABASE_URI = f"sqlite:///{tmp_path / 'pool.db'}"
        SQLALCHEMY_ENGINE_OPTIONS = {"pool_size": 1, "max_overflow": 0, "pool_timeout": 3}

    app = create_isolated_app(OneConnection)
    with app.app_context():
        db.create_all()
        user = account_ops.register_user("pool@example.org", PASSWORD, "Pool")
        db.session.commit()
        client = app.test_client()
        sign_in(client, user)
        long_ago = utcnow() - timedelta(hours=2)
        db.session.execute(db.update(UserSession).values(last_seen_at=long_ago))
        db.session.commit()
        db.session.remove()

        page = client.get("/", headers={"Accept-Language": "zh-TW,zh;q=0.9"})
        assert page.status_code == 200
        db.session.remove()
        seen = db.session.scalar(db.select(UserSession.last_seen_at))
        assert seen > long_ago + timedelta(hours=1)
        assert db.session.scalar(db.select(User.browser_locale)) == "zh_Hant"
        db.session.remove()
        db.engine.dispose()
