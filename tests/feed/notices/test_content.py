"""What a notice shows: Markdown sanitized, attachments and inline images re-checked on every request,
edits kept as revisions."""
from __future__ import annotations

import pytest

from lms.extensions import db
from lms.feed.notices import operations as ops
from lms.feed.notices import queries as q
from lms.uploads import access
from lms.uploads.access import Rendition, Subject
from lms.uploads.models import MediaKind


def test_markdown_is_sanitized(klass, notices, client_as):
    """Are <script>, javascript: links and remote images dropped while tables, lists and headings stay?"""
    body = ("# Plan\n\n- one\n- two\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n<script>alert(1)</script>\n\n"
            "[click](javascript:alert(2)) [ok](https://example.org)\n\n![pixel](https://tracker.example/p.gif)\n\n"
            "<img src=x onerror=alert(3)>")
    notice = notices.notice(klass.circle, klass.teacher, title="<b>Title</b>", body_md=body)
    page = client_as(klass.student).get(f"/circles/{klass.circle.id}/notices/{notice.id}").get_data(as_text=True)
    assert "<h1>Plan</h1>" in page and "<table>" in page and "<li>one</li>" in page
    assert "<script>alert" not in page and 'href="javascript:' not in page and "tracker.example" not in page
    assert "<img src=x" not in page and "&lt;img src=x onerror=alert(3)&gt;" in page  # shown as text
    assert "<b>Title</b>" not in page and "&lt;b&gt;Title&lt;/b&gt;" in page
    assert 'href="https://example.org"' in page


@pytest.fixture
def attached(klass, notices, hw):
    """A published notice with one attached file, and a scheduled one with another."""
    from tests.fixtures.homework import later

    shown = hw.media(klass.teacher, kind=MediaKind.file, filename="plan.png")
    hidden = hw.media(klass.teacher, kind=MediaKind.file, filename="answers.pdf")
    notice = notices.notice(klass.circle, klass.teacher, files=[shown],
                            body_md=f"![plan](/circles/{klass.circle.id}/notices/files/{shown.id})")
    future = notices.notice(klass.circle, klass.teacher, files=[hidden], when=later(days=1))
    return notice, shown, future, hidden


def test_a_member_may_fetch_an_attachment_and_a_stranger_may_not(klass, attached, client_as):
    """Does the stable file path send a member to a signed URL and answer a stranger 404?"""
    notice, shown, _future, _hidden = attached
    url = f"/circles/{klass.circle.id}/notices/files/{shown.id}"
    response = client_as(klass.student).get(url)
    assert response.status_code == 302 and response.headers["Location"].startswith("/m/")
    assert client_as(klass.stranger).get(url).status_code == 404
    page = client_as(klass.student).get(f"/circles/{klass.circle.id}/notices/{notice.id}").get_data(as_text=True)
    assert f'src="{url}"' in page and "plan.png" in page


def test_access_is_checked_again_when_the_file_is_served(klass, attached, client_as):
    """Is a signed grant refused once its viewer left the circle, and for a scheduled notice's file?"""
    from lms.circles import operations as circle_ops

    notice, shown, future, hidden = attached
    subject = Subject("notice", notice.id)
    assert access.may_fetch(klass.student, shown, Rendition.file, subject)
    assert not access.may_fetch(klass.stranger, shown, Rendition.file, subject)
    assert not access.may_fetch(klass.student, hidden, Rendition.file, subject)  # not this notice's file
    assert not access.may_fetch(klass.student, hidden, Rendition.file, Subject("notice", future.id))
    assert client_as(klass.student).get(f"/circles/{klass.circle.id}/notices/files/{hidden.id}").status_code == 404
    circle_ops.remove_member(klass.circle.membership_of(klass.student), klass.owner)
    db.session.commit()
    assert not access.may_fetch(klass.student, shown, Rendition.file, subject)


def test_only_writers_may_upload_for_notices_and_attach_only_their_own_files(klass, hw):
    """Is the "notices" upload purpose open to teachers only, and someone else's upload refused?"""
    assert access.upload_circle(klass.teacher, "notices", klass.circle.id) == klass.circle.id
    with pytest.raises(LookupError):
        access.upload_circle(klass.student, "notices", klass.circle.id)
    with pytest.raises(LookupError):
        access.upload_circle(klass.stranger, "notices", klass.circle.id)
    theirs = hw.media(klass.student, kind=MediaKind.file)
    with pytest.raises(ops.NoticeError):
        ops.create_notice(klass.circle, klass.teacher, title="x", files=[theirs])


def test_edits_keep_every_version(klass, notices, client_as):
    """Does each edit of the text add a revision the staff can read, while members see the latest only?"""
    notice = notices.notice(klass.circle, klass.teacher, title="v1", body_md="first text")
    teacher = client_as(klass.teacher)
    for n in (2, 3):
        teacher.post(f"/circles/{klass.circle.id}/notices/{notice.id}/edit",
                     data={"title": f"v{n}", "body_md": f"text {n}", "when": "now", "receipt_level": "opened"})
    assert [r.title for r in q.revisions(notice)] == ["v3", "v2", "v1"]
    history = teacher.get(f"/circles/{klass.circle.id}/notices/{notice.id}/history").get_data(as_text=True)
    assert "first text" in history and "text 3" in history
    page = client_as(klass.student).get(f"/circles/{klass.circle.id}/notices/{notice.id}").get_data(as_text=True)
    assert "text 3" in page and "first text" not in page
    assert client_as(klass.student).get(f"/circles/{klass.circle.id}/notices/{notice.id}/history").status_code == 403
    # the edit is on the audit log, and a second announcement never went out
    from lms.audit.models import AuditEvent

    assert db.session.scalar(db.select(db.func.count()).select_from(AuditEvent)
                             .where(AuditEvent.action == "notice_edited")) == 2


def test_home_page_shows_must_read_first(klass, notices, client_as):
    """Does the home section list the unconfirmed must-read notice before pinned and latest ones?"""
    notices.notice(klass.circle, klass.teacher, title="Latest news")
    notices.notice(klass.circle, klass.teacher, title="Pinned info", is_pinned=True)
    notices.notice(klass.circle, klass.teacher, title="Must read this", is_must_read=True)
    page = client_as(klass.student).get(f"/c/{klass.circle.id}").get_data(as_text=True)
    assert page.index("Must read this") < page.index("Pinned info") < page.index("Latest news")


def test_an_inline_image_is_served_as_an_image_and_a_document_as_a_download(klass, notices, hw, client_as):
    """Is an attached picture served inline with the type its bytes prove (to members only), and a file
    named .png that is not a picture only offered as a download?"""
    import io

    from PIL import Image

    from lms.storage import get_storage, new_key

    def stored(data: bytes, name: str):
        media = hw.media(klass.teacher, kind=MediaKind.file, filename=name)
        media.original_key = new_key("test")
        media.bytes = len(data)
        get_storage().put(media.original_key, io.BytesIO(data))
        db.session.commit()
        return media

    png = io.BytesIO()
    Image.new("RGB", (4, 4), "red").save(png, "PNG")
    picture = stored(png.getvalue(), "map.png")
    fake = stored(b"<html><script>alert(1)</script></html>", "fake.png")
    notices.notice(klass.circle, klass.teacher, files=[picture, fake])
    base = f"/circles/{klass.circle.id}/notices/files"
    response = client_as(klass.student).get(f"{base}/{picture.id}")
    assert response.status_code == 200 and response.mimetype == "image/png"
    assert "sandbox" in response.headers["Content-Security-Policy"]
    response = client_as(klass.student).get(f"{base}/{fake.id}")
    assert response.status_code == 302 and response.headers["Location"].startswith("/m/")
    with client_as(klass.student).get(response.headers["Location"]) as download:
        assert download.status_code == 200 and download.mimetype == "application/octet-stream"
    assert client_as(klass.stranger).get(f"{base}/{picture.id}").status_code == 404


def test_deleting_is_audited_and_the_log_reads_it(klass, notices, client_as):
    """Is a deleted notice gone for everyone, and does the audit log name the deletion with its title?"""
    from lms.feed.notices.models import NoticeRead, NoticeRevision

    notice = notices.notice(klass.circle, klass.teacher, title="Wrong date")
    ops.open_notice(notice, klass.student)
    db.session.commit()
    url = f"/circles/{klass.circle.id}/notices/{notice.id}"
    teacher = client_as(klass.teacher)
    assert teacher.post(url + "/delete").status_code == 302
    assert teacher.get(url).status_code == 404
    for model in (NoticeRead, NoticeRevision):  # its receipts and history go with it
        assert db.session.scalar(db.select(db.func.count()).select_from(model)) == 0
    log = client_as(klass.admin).get("/admin/audit").get_data(as_text=True)
    assert "Notice deleted" in log and "Wrong date" in log


def test_the_home_section_and_list_cost_fixed_queries(klass, notices, count_queries):
    """Do the home section and the list page's read cost one query each, with 3 and with 30 notices?"""
    from lms.feed.notices import sections

    Circle, User = type(klass.circle), type(klass.student)
    ids = (klass.circle.id, klass.teacher.id, klass.student.id)
    counts = []
    for added in (3, 27):
        circle, teacher = db.session.get(Circle, ids[0]), db.session.get(User, ids[1])
        for i in range(added):
            notices.notice(circle, teacher, title=f"N{i}", is_pinned=i % 5 == 0, is_must_read=i % 7 == 0)
        db.session.expunge_all()  # as a new request: nothing loaded yet
        circle, student = db.session.get(Circle, ids[0]), db.session.get(User, ids[2])
        circle.membership_of(student)
        counts.append((count_queries(lambda: sections.home(circle, student, None)),
                       count_queries(lambda: q.notices_page(circle, student))))
    assert counts == [(1, 1), (1, 1)]
