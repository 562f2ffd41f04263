"""live-video's views on the `live` blueprint: the host's broadcast page, the live HLS for members, and the
replay's watched ranges. Imported by lms.live.routes so the views exist before the blueprint is registered.

- GET  /c/<circle_id>/live/<lesson_id>/broadcast        hosts: preview, devices, Go live, Stop
- GET  /c/<circle_id>/live/<lesson_id>/hls/<name>       members: index.m3u8 checked per request, <n>.ts?t=<token>
- POST /c/<circle_id>/live/<lesson_id>/replay/progress  members: {"ranges": [[start, end], …]} watched
"""
from __future__ import annotations

import sqlalchemy as sa
from flask import abort, current_app, jsonify, make_response, render_template, request, send_file
from flask_login import current_user, login_required

from lms.circles.queries import get_circle_or_404
from lms.extensions import db
from lms.live import bp, hls_tokens, ingest, origin
from lms.live import replay as replay_lib
from lms.live.models import LessonState, LiveLesson, LiveSanction
from lms.media.live import PLAYLIST, SEGMENT

HLS_PLAYLIST = "application/vnd.apple.mpegurl"


@bp.record_once
def _register_video(state) -> None:
    replay_lib.register(state.app)  # who may fetch a replay's files
    # a segment request with a token never loads the session's user (lms.live.hls_tokens)
    state.app.before_request_funcs.setdefault(None, []).insert(0, hls_tokens.skip_user_loading)
    state.app.add_template_global(replay_lib.replay_context, "live_replay")
#: a live playlist changes every segment: always asked again (and checked again)
PLAYLIST_CACHE = "private, no-cache, no-store"
#: a segment never changes once written; a viewer's own browser may keep it while the lesson runs
SEGMENT_CACHE = "private, max-age=600"


def _lesson(circle_id: int, lesson_id: int) -> LiveLesson:
    circle = get_circle_or_404(circle_id, current_user)
    lesson = db.session.scalar(sa.select(LiveLesson).where(LiveLesson.id == lesson_id,
                                                           LiveLesson.circle_id == circle.id))
    if lesson is None or not lesson.can_view(current_user):
        abort(404)
    return lesson


def removed_from(lesson: LiveLesson, user) -> bool:
    """Whether a host removed `user` from the lesson (and has not let them back): no video for them."""
    return db.session.scalar(sa.select(sa.func.count()).select_from(LiveSanction).where(
        LiveSanction.lesson_id == lesson.id, LiveSanction.user_id == user.id, LiveSanction.kind == "remove",
        LiveSanction.lifted_at.is_(None))) > 0


@bp.get("/c/<int:circle_id>/live/<int:lesson_id>/broadcast")
@login_required
def broadcast(circle_id: int, lesson_id: int):
    """The host's page: preview, camera / screen / screen with camera corner, microphone level, upload
    speed, Go live and Stop. Anyone else: 404."""
    lesson = _lesson(circle_id, lesson_id)
    if not lesson.can_host(current_user):
        abort(404)
    return render_template("live/broadcast.html", lesson=lesson, circle=lesson.circle,
                           max_encodes=ingest.max_encodes(),
                           segment_seconds=current_app.config.get("LIVE_SEGMENT_SECONDS") or 1.0)


@bp.get("/c/<int:circle_id>/live/<int:lesson_id>/hls/<name>")
def hls(circle_id: int, lesson_id: int, name: str):
    """The live playlist, for members who may watch (strangers: 404; nor someone removed from the lesson),
    checked in full on every request; its segment URIs carry a short-lived token (lms.live.hls_tokens).
    A segment is served on its token alone, without a query; without a valid token: 404."""
    if name == PLAYLIST:
        if not current_user.is_authenticated:
            return current_app.login_manager.unauthorized()
        return _playlist(circle_id, lesson_id)
    if not SEGMENT.match(name):
        abort(404)
    grant = hls_tokens.read(request.args.get(hls_tokens.PARAM), lesson_id)
    if grant is None:
        abort(404)
    return _segment(grant, name)


def _playlist(circle_id: int, lesson_id: int):
    lesson = _lesson(circle_id, lesson_id)
    if lesson.state in (LessonState.scheduled, LessonState.cancelled) or removed_from(lesson, current_user):
        abort(404)
    elsewhere = origin.remote(lesson)
    token = hls_tokens.make(current_user.id, lesson, elsewhere)
    path = ingest.lesson_folder(lesson) / PLAYLIST
    db.session.rollback()  # the checks are done: let the connection go while the file is read
    try:
        if elsewhere is not None:  # on another ingest host: read from there (lms.live.origin)
            body = origin.fetch_playlist(elsewhere, lesson.stream_path)
        else:  # small, and replaced (renamed over) every segment: read whole
            body = path.read_bytes()
    except FileNotFoundError:
        abort(404)
    response = make_response(hls_tokens.sign_playlist(body, token))
    response.mimetype = HLS_PLAYLIST
    response.headers["Cache-Control"] = PLAYLIST_CACHE
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def _segment(grant, name: str):
    if grant.origin is not None:
        # on another ingest host: this host's nginx fetches it from there (lms.live.origin)
        response = make_response("")
        response.headers["X-Accel-Redirect"] = origin.accel_segment_path(grant.origin, grant.stream_path, name)
        response.mimetype = "video/mp2t"
    else:
        try:
            path = ingest.stream_folder(grant.stream_path) / name
            response = send_file(path, mimetype="video/mp2t", conditional=True, etag=True, max_age=None)
        except (FileNotFoundError, ValueError):
            abort(404)
    response.headers["Cache-Control"] = SEGMENT_CACHE
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.post("/c/<int:circle_id>/live/<int:lesson_id>/replay/progress")
@login_required
def replay_progress(circle_id: int, lesson_id: int):
    """The replay player reports the ranges it played since its last report (seconds); they are merged
    into the viewer's ReplayView. Answers {"seconds_watched", "watched"}."""
    lesson = _lesson(circle_id, lesson_id)
    media = lesson.replay_media
    if lesson.replay_state != replay_lib.READY or media is None:
        abort(404)
    data = request.get_json(silent=True) or {}
    ranges = data.get("ranges")
    if not isinstance(ranges, list) or len(ranges) > 100:
        return jsonify(error={"code": 400, "message": "ranges"}), 400
    try:
        clean = [(float(start), float(end)) for start, end in ranges]
    except (TypeError, ValueError):
        return jsonify(error={"code": 400, "message": "ranges"}), 400
    view = replay_lib.record_view(lesson, current_user, clean, duration=media.duration or 0)
    db.session.commit()
    return jsonify(seconds_watched=round(view.seconds_watched, 1), watched=view.watched)
