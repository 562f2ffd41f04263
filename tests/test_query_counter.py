"""The query counter the query-count tests share (tests.fixtures.queries) counts the calling thread only."""
from __future__ import annotations

import threading

import sqlalchemy as sa

from lms.extensions import db
from tests.fixtures.queries import QueryCounter


def test_statements_of_another_thread_are_not_counted(app, client):
    """A request through the test client counts; a statement another thread sends meanwhile does not."""

    def elsewhere():
        with app.app_context():
            db.session.execute(sa.text("SELECT 1"))
            db.session.remove()

    with QueryCounter() as counter:
        other = threading.Thread(target=elsewhere)
        other.start()
        other.join()
        db.session.execute(sa.text("SELECT 2"))
        client.get("/")
    assert counter.statements[0] == "SELECT 2" and counter.count > 1
    assert "SELECT 1" not in counter.statements
