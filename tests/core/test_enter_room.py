"""lms.core.realtime.enter_room: a Socket.IO event whose page went away while it ran (the homework journey's
browser test saw `join_room` raise in the event's thread when the student navigated on mid-event)."""
from __future__ import annotations

from flask import request

from lms.core.realtime import enter_room


def test_a_connection_that_went_away_joins_nothing_and_raises_nothing(app):
    """Is joining a room for a connection no longer in the namespace a False, not a ValueError?"""
    with app.test_request_context("/socket.io/"):
        request.sid, request.namespace = "gone-connection", "/homework"
        assert enter_room("submission:1") is False


def test_a_connected_page_joins(app, client_as, make):
    """Does a page still connected join the room (the homework page's watch, through the real namespace)?"""
    import contextvars

    from lms.extensions import socketio

    user = make.user()
    sock = contextvars.Context().run(socketio.test_client, app, namespace="/homework",
                                     flask_test_client=client_as(user))
    try:
        assert sock.is_connected("/homework")
        sid = sock.eio_sid
        namespace_sid = socketio.server.manager.sid_from_eio_sid(sid, "/homework")
        with app.test_request_context("/socket.io/"):
            request.sid, request.namespace = namespace_sid, "/homework"
            assert enter_room("submission:1") is True
        assert namespace_sid in dict(socketio.server.manager.get_participants("/homework", "submission:1"))
    finally:
        sock.disconnect(namespace="/homework")
