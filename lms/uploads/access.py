"""Who may fetch a media file by URL: grants signed into the URL, re-checked by the owning domain on every request.

A media item only knows its owner; what it belongs to (a submission, later a post, a replay, a
file) decides who else may see it. A page that shows media signs, for its viewer, a grant naming
the viewer, the item, one rendition and the *subject* the page showed it for, e.g.
("submission", 42). Serving checks the signature, then asks the subject's checker — registered
by its domain at app start, since infrastructure never imports a domain — whether the viewer may
still have that rendition. Access is therefore decided at the moment of each request; the URL's
lifetime (MEDIA_URL_MAX_AGE) only bounds how long a page may sit open, it grants nothing.
"""
from __future__ import annotations

import enum
from datetime import datetime
from typing import Callable, NamedTuple

from flask import Flask, current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer

from lms.accounts.models import User
from lms.uploads.models import Media, Upload

#: Tokens of the earlier format (viewer and media only) are not accepted.
_SALT = "media-grant-v2"


class Rendition(enum.StrEnum):
    """What a URL serves. Only `original` is the bytes as uploaded: a phone's video keeps its GPS
    position and device name there, which the transcode strips on purpose."""

    mp4 = "mp4"  #: the transcoded video
    poster = "poster"
    hls = "hls"  #: the HLS playlist and its segments
    original = "original"  #: the uploaded video as received (owner and staff only)
    file = "file"  #: an attachment (a document), stored as received: it is the work itself
    state = "state"  #: the processing state, for viewers who get no pushes


#: The name in the URL of each rendition (HLS: "hls/<playlist or segment>").
URL_NAMES = {Rendition.mp4: "video.mp4", Rendition.poster: "poster.jpg", Rendition.hls: "hls/index.m3u8",
             Rendition.original: "download", Rendition.file: "download", Rendition.state: "state"}


class Subject(NamedTuple):
    """What a page showed a media item for: a kind a domain registered and that thing's id."""

    kind: str
    id: int | None = None


#: The uploader's own pages (library, upload previews, pushes): the item's owner only.
OWN = Subject("own")


class Grant(NamedTuple):
    viewer_id: int
    media_id: int
    rendition: Rendition
    subject: Subject
    #: when the URL was signed (UTC, to the second): a page signed before a rendition was replaced
    #: keeps the one it started playing (see Media.replaced_at)
    issued_at: datetime | None = None


#: (viewer, subject id, media item, rendition) -> may the viewer fetch it now?
Checker = Callable[[User, "int | None", Media, Rendition], bool]

_EXTENSION = "lms_media_subjects"


def register_subject(app: Flask, kind: str, checker: Checker) -> None:
    """Let media be shown for subjects of `kind`; `checker` decides each request. Call at app start
    (a domain's blueprint `record_once`). The checker must confirm that the media item belongs to
    the subject, and answer from the current state of the database (memberships, visibility,
    versions), never from what was true when the page was rendered."""
    subjects = _checkers(app)
    if kind in subjects and subjects[kind] is not checker:
        raise RuntimeError(f"media subject {kind!r} is registered twice")
    subjects[kind] = checker


def _checkers(app: Flask) -> dict[str, Checker]:
    return app.extensions.setdefault(_EXTENSION, {OWN.kind: _own})


def _own(viewer: User, subject_id: int | None, media: Media, rendition: Rendition) -> bool:
    return media.owner_id == viewer.id


def may_fetch(viewer: User | None, media: Media, rendition: Rendition, subject: Subject) -> bool:
    """Does the checker of `subject` let `viewer` have `rendition` of `media` now? No checker, no access."""
    if viewer is None or not viewer.is_authenticated:
        return False
    checker = _checkers(current_app).get(subject.kind)
    if checker is None:
        return False
    return bool(checker(viewer, subject.id, media, rendition))


# -- tokens --------------------------------------------------------------------------------------

def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt=_SALT)


def sign(viewer_id: int, media: Media, rendition: Rendition, subject: Subject) -> str:
    return _serializer().dumps([viewer_id, media.id, rendition.value, subject.kind, subject.id])


def read(token: str, viewer_id: int | None) -> Grant | None:
    """The grant a URL token carries, if it is genuine, younger than MEDIA_URL_MAX_AGE and was
    issued to `viewer_id`; None otherwise."""
    try:
        data, issued_at = _serializer().loads(token, max_age=current_app.config["MEDIA_URL_MAX_AGE"],
                                              return_timestamp=True)
        issued_to, media_id, rendition, kind, subject_id = data
        grant = Grant(int(issued_to), int(media_id), Rendition(rendition), Subject(str(kind), subject_id), issued_at)
    except (BadSignature, ValueError, TypeError):
        return None
    return grant if viewer_id is not None and grant.viewer_id == viewer_id else None


# -- what an upload is for -----------------------------------------------------------------------

#: (uploader, id of the thing the upload is for) -> the circle it counts against, or None when
#: the uploader may not upload for it (the route then answers 404, as for a stranger)
UploadChecker = Callable[[User, int], "int | None"]

#: (uploader, id of the thing the upload is for, the new media item) -> None: called in the
#: transaction that creates the upload, before its first byte (e.g. keep it in a homework draft)
UploadCreated = Callable[[User, int, Media], None]

#: (an upload made for the purpose) -> None while it may go on receiving bytes, else the sentence
#: (translated, in the uploader's language) saying why not: asked before every chunk, so one small
#: indexed query at most (e.g. the assignment closed, the uploader left the circle)
UploadAccepts = Callable[[Upload], "str | None"]

_PURPOSES = "lms_upload_purposes"
_CREATED = "lms_upload_created"
_ACCEPTS = "lms_upload_accepts"


def register_upload_purpose(app: Flask, purpose: str, checker: UploadChecker,
                            on_created: UploadCreated | None = None,
                            accepts_bytes: UploadAccepts | None = None) -> None:
    """Let uploads be started for things of `purpose` (e.g. "circle"); `checker` decides, at the
    start of each upload, whether the uploader may and which circle the media belongs to;
    `on_created`, if given, is told of each upload created for it (in the same transaction, so
    whatever it records exists before the first byte, whatever client sent the creation);
    `accepts_bytes`, if given, is asked before each chunk's body is read (PATCH, and the first chunk
    of a creation-with-upload) whether the purpose still takes bytes: a refusal ends the upload at
    the protocol level, before the rest of the file crosses the network. Call at app start (a
    domain's blueprint `record_once`): uploads never import the domain."""
    purposes = app.extensions.setdefault(_PURPOSES, {})
    if purpose in purposes and purposes[purpose] is not checker:
        raise RuntimeError(f"upload purpose {purpose!r} is registered twice")
    purposes[purpose] = checker
    if on_created is not None:
        app.extensions.setdefault(_CREATED, {})[purpose] = on_created
    if accepts_bytes is not None:
        app.extensions.setdefault(_ACCEPTS, {})[purpose] = accepts_bytes


def upload_refusal(upload: Upload) -> str | None:
    """Why `upload` may receive no more bytes (its purpose's sentence for the uploader), or None.
    Free for an upload without a purpose or whose purpose registered no `accepts_bytes`."""
    if not upload.purpose or upload.purpose_id is None:
        return None
    hook = current_app.extensions.get(_ACCEPTS, {}).get(upload.purpose)
    return hook(upload) if hook is not None else None


def upload_created(uploader: User, purpose: str, purpose_id: int, media: Media) -> None:
    """Tell the domain of `purpose` that `uploader` created an upload (`media`) for `purpose_id`."""
    hook = current_app.extensions.get(_CREATED, {}).get(purpose)
    if hook is not None:
        hook(uploader, purpose_id, media)


def upload_circle(uploader: User, purpose: str, purpose_id: int) -> int | None:
    """The circle an upload for (`purpose`, `purpose_id`) belongs to if `uploader` may start it;
    raises LookupError when the purpose is unknown or the uploader may not."""
    checker = current_app.extensions.get(_PURPOSES, {}).get(purpose)
    circle_id = checker(uploader, purpose_id) if checker is not None else None
    if circle_id is None:
        raise LookupError(purpose)
    return circle_id
