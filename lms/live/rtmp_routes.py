"""nginx-rtmp's callbacks (deploy/nginx/rtmp.conf): POST /rtmp/on_publish, /rtmp/on_update, /rtmp/on_publish_done.

Answers: 204 to accept, 403 to refuse (nginx drops the encoder). Only our nginx may call them (lms.live.rtmp:
a loopback address, or LIVE_RTMP_CALLBACK_SECRET as `?secret=`); anyone else gets 403 too. No CSRF token:
nginx posts a plain form, and the stream key is the proof.
"""
from __future__ import annotations

from flask import Blueprint, abort, request

from lms.extensions import csrf, db
from lms.live import rtmp

bp = Blueprint("live_rtmp", __name__, url_prefix="/rtmp")
csrf.exempt(bp)


def _check_caller() -> None:
    if not rtmp.caller_allowed(request.remote_addr, request.args.get("secret")):
        abort(403)


@bp.post("/on_publish")
def on_publish():
    _check_caller()
    lesson = rtmp.publish(request.form.get("app"), request.form.get("name"), request.form.get("key"),
                          request.args.get("origin"))
    if lesson is None:
        db.session.rollback()
        return "", 403
    db.session.commit()
    return "", 204


@bp.post("/on_update")
def on_update():
    _check_caller()
    allowed = rtmp.still_allowed(request.form.get("name"), request.form.get("key"))
    db.session.rollback()
    return ("", 204) if allowed else ("", 403)


@bp.post("/on_publish_done")
def on_publish_done():
    _check_caller()
    rtmp.publish_done(request.form.get("name"))
    db.session.commit()
    return "", 204
