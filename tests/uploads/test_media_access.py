"""Media URLs are grants re-checked on every request: originals stay with their owner and staff, and a
saved URL stops working the moment its viewer may no longer see what the media was shown for."""
from __future__ import annotations

import io
import re
from html import unescape

import pytest

from lms.circles import operations as circle_ops
from lms.extensions import db
from lms.homework import operations as hw_ops
from lms.homework.models import PeerVisibility
from lms.storage import get_storage
from lms.uploads import access
from lms.uploads.access import Rendition, Subject
from lms.uploads.models import MediaKind, MediaState
from tests.fixtures.homework import later

#: Stands for what a phone's original keeps and the transcode strips (GPS position, device name).
ORIGINAL = b"ftypqt  \x00moov udta \xa9xyz+48.8584+002.2945/ \xa9mdl iPhone 15"
SEGMENT = b"\x47" + b"\x00" * 187


def _ready_video(hw, student, name: str):
    """A processed video with every rendition in storage (bytes stand in for real ones)."""
    media = hw.media(student)
    prefix = f"media/access-{name}-{media.id}"
    storage = get_storage()
    media.original_key = f"{prefix}/original"
    media.mp4_key, media.poster_key, media.hls_prefix = f"{prefix}/video.mp4", f"{prefix}/poster.jpg", f"{prefix}/hls"
    for key, data in ((media.original_key, ORIGINAL), (media.mp4_key, b"\x00\x00\x00\x18ftypmp42 transcoded"),
                      (media.poster_key, b"\xff\xd8\xff poster"), (f"{prefix}/hls/seg0.ts", SEGMENT),
                      (f"{prefix}/hls/index.m3u8", b"#EXTM3U\n#EXT-X-TARGETDURATION:6\n#EXTINF:6.0,\nseg0.ts\n"
                                                   b"#EXT-X-ENDLIST\n")):
        storage.put(key, io.BytesIO(data))
    db.session.commit()
    return media


def _page(submission) -> str:
    a = submission.assignment
    return f"/circles/{a.circle_id}/assignments/{a.id}/submissions/{submission.id}"


def _urls(html: str) -> dict[str, str]:
    """The media URLs a page handed its viewer, as the browser would read them."""
    found = {}
    for key, pattern in (("mp4", r'data-mp4="(/m/[^"]+)"'), ("hls", r'data-hls="(/m/[^"]+)"'),
                         ("poster", r'poster="(/m/[^"]+)"'), ("download", r'href="(/m/[^"]+/download)"'),
                         ("state", r'data-state-url="(/m/[^"]+)"')):
        match = re.search(pattern, html)
        if match:
            found[key] = unescape(match.group(1))
    if "hls" in found:
        found["segment"] = found["hls"].rsplit("/", 1)[0] + "/seg0.ts"
    return found


def _work_of(klass, hw):
    assignment = hw.assignment(klass.circle, due_at=later(days=3), peer_visibility=PeerVisibility.after_submit)
    theirs = hw.submission(assignment, klass.student, media=_ready_video(hw, klass.student, "v1"))
    hw.submission(assignment, klass.classmate, media=_ready_video(hw, klass.classmate, "mine"))
    return assignment, theirs


@pytest.fixture
def work(klass, hw):
    """A class where "Student" and "Classmate" both handed in a video; the gallery opens after handing in."""
    return _work_of(klass, hw)


def test_a_classmate_gets_the_transcode_but_never_the_original(klass, work, client_as, app):
    """Does a classmate who may watch the work get the MP4, HLS and poster but no original (no link,
    and a grant for it refused), while the student and the staff download the original?"""
    assignment, submission = work
    classmate = client_as(klass.classmate)
    urls = _urls(classmate.get(_page(submission)).get_data(as_text=True))
    assert {"mp4", "hls", "poster"} <= set(urls) and "download" not in urls
    for name in ("mp4", "poster", "hls", "segment"):
        assert classmate.get(urls[name], buffered=True).status_code == 200, name
    gallery = classmate.get(f"/circles/{klass.circle.id}/assignments/{assignment.id}/gallery").get_data(as_text=True)
    assert "/download" not in gallery

    # A grant for the original issued to the classmate (by a page that forgot to ask) is still refused.
    with app.test_request_context():
        token = access.sign(klass.classmate.id, submission.media, Rendition.original,
                            Subject("submission", submission.id))
    assert classmate.get(f"/m/{token}/download").status_code == 404

    for person in (klass.student, klass.teacher, klass.assistant, klass.owner):
        client = client_as(person)
        link = _urls(client.get(_page(submission)).get_data(as_text=True)).get("download")
        assert link, person.name
        response = client.get(link, buffered=True)
        assert response.status_code == 200 and response.data == ORIGINAL, person.name


def test_polled_state_of_a_classmate_never_lists_the_original(klass, work, client_as, app):
    """Does the state JSON a viewer polls (its URLs once ready) leave out the original for a classmate?"""
    _assignment, submission = work
    with app.test_request_context():
        classmate_url = access.sign(klass.classmate.id, submission.media, Rendition.state,
                                    Subject("submission", submission.id))
        teacher_url = access.sign(klass.teacher.id, submission.media, Rendition.state,
                                  Subject("submission", submission.id))
    seen = client_as(klass.classmate).get(f"/m/{classmate_url}/state").get_json()["urls"]
    assert "mp4" in seen and "download" not in seen
    assert "download" in client_as(klass.teacher).get(f"/m/{teacher_url}/state").get_json()["urls"]


def test_attachments_go_to_whoever_sees_the_work(klass, hw, client_as):
    """Is an attachment (a document handed in with the work) downloadable by a classmate who sees it?"""
    assignment = hw.assignment(klass.circle, due_at=later(days=3), peer_visibility=PeerVisibility.after_submit)
    doc = hw.media(klass.student, kind=MediaKind.file, filename="essay.pdf")
    doc.original_key = f"media/access-doc-{doc.id}/original"
    get_storage().put(doc.original_key, io.BytesIO(b"%PDF-1.4 essay"))
    db.session.commit()
    submission = hw.submission(assignment, klass.student, media=_ready_video(hw, klass.student, "att"), files=[doc])
    hw.submission(assignment, klass.classmate, media=_ready_video(hw, klass.classmate, "att2"))
    classmate = client_as(klass.classmate)
    html = classmate.get(_page(submission)).get_data(as_text=True)
    [link] = re.findall(r'href="(/m/[^"]+/download)">essay.pdf<', html)
    assert classmate.get(unescape(link), buffered=True).data == b"%PDF-1.4 essay"


def _remove(klass, user):
    circle_ops.remove_member(klass.circle.membership_of(user), klass.owner)


CHANGES = {
    "viewer removed from the circle": ("classmate", lambda klass, hw, a: _remove(klass, klass.classmate)),
    "gallery hidden": ("classmate", lambda klass, hw, a: hw_ops.update_assignment(
        a, klass.owner, peer_visibility=PeerVisibility.hidden)),
    "version replaced": ("classmate", lambda klass, hw, a: hw.submission(
        a, klass.student, media=_ready_video(hw, klass.student, "v2"))),
    "teacher removed": ("teacher", lambda klass, hw, a: _remove(klass, klass.teacher)),
    "student removed": ("student", lambda klass, hw, a: _remove(klass, klass.student)),
}
SAVED = [(change, name) for change in ("viewer removed from the circle", "gallery hidden", "version replaced")
         for name in ("mp4", "poster", "hls", "segment")]
SAVED += [("teacher removed", "download"), ("teacher removed", "mp4"), ("student removed", "download")]


@pytest.mark.parametrize("change, name", SAVED)
def test_a_saved_url_stops_working_when_access_ends(klass, hw, work, client_as, change, name):
    """Does a media URL saved from a page stop working (404, as for a stranger) as soon as its viewer
    may no longer see the submission it was shown for, long before the URL itself expires?"""
    assignment, submission = work
    who, make_change = CHANGES[change]
    viewer = client_as(klass.users[who])
    url = _urls(viewer.get(_page(submission)).get_data(as_text=True))[name]
    assert viewer.get(url, buffered=True).status_code == 200

    make_change(klass, hw, assignment)
    db.session.commit()

    assert viewer.get(url, buffered=True).status_code == 404
    assert client_as(klass.stranger).get(url).status_code == 404


def test_a_replaced_version_stays_visible_to_staff_and_its_student(klass, hw, work, client_as):
    """After a new version, do the earlier version's URLs still play for the student and staff (who may
    still open every version), while the classmate plays the new one?"""
    assignment, old = work
    saved = {who: _urls(client_as(klass.users[who]).get(_page(old)).get_data(as_text=True))["mp4"]
             for who in ("student", "teacher")}
    new = hw.submission(assignment, klass.student, media=_ready_video(hw, klass.student, "v2"))
    for who, url in saved.items():
        assert client_as(klass.users[who]).get(url, buffered=True).status_code == 200, who
    classmate = client_as(klass.classmate)
    assert classmate.get(_urls(classmate.get(_page(new)).get_data(as_text=True))["mp4"],
                         buffered=True).status_code == 200


def test_a_viewer_follows_processing_by_a_url_that_ends_with_access(klass, hw, client_as):
    """Can a classmate whose page shows a video still being processed poll its state by the URL the page
    gives them, and does that URL stop answering once they are removed from the circle?"""
    assignment = hw.assignment(klass.circle, due_at=later(days=3), peer_visibility=PeerVisibility.after_submit)
    media = hw.media(klass.student, state=MediaState.processing)
    media.original_key = f"media/access-processing-{media.id}/original"
    media.progress = 40
    db.session.commit()
    submission = hw.submission(assignment, klass.student, media=media)
    hw.submission(assignment, klass.classmate, media=_ready_video(hw, klass.classmate, "p"))
    classmate = client_as(klass.classmate)
    url = _urls(classmate.get(_page(submission)).get_data(as_text=True))["state"]
    state = classmate.get(url).get_json()
    assert (state["state"], state["progress"]) == ("processing", 40)
    _remove(klass, klass.classmate)
    db.session.commit()
    assert classmate.get(url).status_code == 404


def test_a_url_names_one_rendition(klass, work, client_as):
    """Can the MP4 URL's token be reused to fetch the original or another file of the item? (404)"""
    _assignment, submission = work
    student = client_as(klass.student)
    url = _urls(student.get(_page(submission)).get_data(as_text=True))["mp4"]
    for name in ("download", "poster.jpg", "hls/index.m3u8", "state"):
        assert student.get(url.replace("video.mp4", name)).status_code == 404, name


def test_media_shown_for_a_subject_nobody_registered_is_refused(klass, work, client_as, app):
    """Is a grant naming an unknown subject kind refused (no checker, no access)?"""
    _assignment, submission = work
    with app.test_request_context():
        token = access.sign(klass.student.id, submission.media, Rendition.mp4, Subject("nonsense", 1))
    assert client_as(klass.student).get(f"/m/{token}/video.mp4").status_code == 404


def test_a_checker_sees_only_its_own_subjects_media(klass, hw, work, client_as, app):
    """Is a grant pairing a submission with a video that is not part of it refused?"""
    _assignment, submission = work
    other = _ready_video(hw, klass.student, "unrelated")
    with app.test_request_context():
        token = access.sign(klass.student.id, other, Rendition.mp4, Subject("submission", submission.id))
    assert client_as(klass.student).get(f"/m/{token}/video.mp4").status_code == 404


def test_with_s3_the_check_comes_before_a_short_presigned_redirect(klass, hw, client_as, app, s3_storage,
                                                                   monkeypatch):
    """With S3, is each request checked before it is redirected to a presigned URL that lives only
    MEDIA_PRESIGN_SECONDS, do HLS segments come back through the app, and does a removed classmate get
    404 instead of a redirect?"""
    import requests

    monkeypatch.setitem(app.extensions, "lms_storage", s3_storage)
    monkeypatch.setitem(app.config, "MEDIA_PRESIGN_SECONDS", 90)
    assignment, submission = _work_of(klass, hw)
    classmate = client_as(klass.classmate)
    urls = _urls(classmate.get(_page(submission)).get_data(as_text=True))

    mp4 = classmate.get(urls["mp4"])
    assert mp4.status_code == 302 and "X-Amz-Expires=90" in mp4.headers["Location"]
    assert mp4.headers["Cache-Control"] == "no-store"
    playlist = classmate.get(urls["hls"], buffered=True)
    assert playlist.status_code == 200 and "\nseg0.ts\n" in playlist.get_data(as_text=True)
    segment = classmate.get(urls["segment"])
    assert segment.status_code == 302 and "X-Amz-Expires=90" in segment.headers["Location"]
    with requests.get(segment.headers["Location"], timeout=30) as response:
        assert response.content == SEGMENT

    _remove(klass, klass.classmate)
    db.session.commit()
    for name in ("mp4", "poster", "hls", "segment"):
        assert classmate.get(urls[name]).status_code == 404, name
