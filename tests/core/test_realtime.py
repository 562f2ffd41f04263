"""Socket.IO: who may connect, and pushes reaching the right user only after commit."""
import contextvars

from lms.core.realtime import emit_to_user
from lms.extensions import db, socketio
from tests.fixtures.factories import sign_in


def _socket(app, client):
    """A Socket.IO test client whose connect handler runs in its own context, like a real request."""
    return contextvars.Context().run(socketio.test_client, app, flask_test_client=client)


def test_anonymous_connection_is_refused(app, client):
    """Can someone who is not signed in open a Socket.IO connection?"""
    sock = _socket(app, client)
    assert not sock.is_connected()


def test_push_reaches_only_its_user_after_commit(app, make):
    """Does a push for one user reach their page, only once the transaction commits, and nobody else's?"""
    alice, bob = make.user("Alice"), make.user("Bob")
    alice_client, bob_client = app.test_client(), app.test_client()
    for c, u in ((alice_client, alice), (bob_client, bob)):
        sign_in(c, u)
    alice_sock, bob_sock = _socket(app, alice_client), _socket(app, bob_client)
    assert alice_sock.is_connected() and bob_sock.is_connected()

    emit_to_user(alice.id, "media_state", {"state": "ready"})
    assert alice_sock.get_received() == []  # nothing before the commit
    db.session.commit()
    received = alice_sock.get_received()
    assert [(r["name"], r["args"][0]) for r in received] == [("media_state", {"state": "ready"})]
    assert bob_sock.get_received() == []


def test_rolled_back_push_is_never_sent(app, make):
    """Is a push queued in a transaction that rolls back dropped?"""
    alice = make.user()
    c = app.test_client()
    sign_in(c, alice)
    sock = _socket(app, c)
    emit_to_user(alice.id, "media_state", {"state": "ready"})
    db.session.rollback()
    db.session.commit()
    assert sock.get_received() == []
