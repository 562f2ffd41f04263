"""A failed submit of the notice form keeps its uploaded attachments (new and edit); ids that are not the
writer's own uploads for this circle are refused."""
from __future__ import annotations

import re

from lms.extensions import db
from lms.feed.notices.models import Notice
from lms.uploads.models import Media, MediaKind, MediaState, Upload, UploadMode


def _upload(owner, circle_id, *, name="photo.png", purpose="notices") -> Media:
    media = Media(owner_id=owner.id, kind=MediaKind.file, state=MediaState.ready, filename=name, bytes=100)
    db.session.add(media)
    db.session.flush()
    db.session.add(Upload(token=f"t{media.id}x", media_id=media.id, owner_id=owner.id, mode=list(UploadMode)[0],
                          length=100, purpose=purpose, purpose_id=circle_id))
    db.session.commit()
    return media


def _data(media_ids, **extra):
    return {"title": "Trip", "body_md": "See ![photo.png](/x)", "receipt_level": "opened",
            "file_id": [str(m) for m in media_ids], **extra}


def _listed(page: str) -> dict[str, bool]:
    """The form's file_id checkboxes: value -> checked."""
    return {m.group(2): bool(m.group(3)) for m in re.finditer(
        r'<input type="checkbox" name="file_id" value="((\d+))"( checked)?', page)}


def test_a_failed_new_notice_keeps_its_uploads_and_publishes_them_next(klass, client_as):
    teacher = client_as(klass.teacher)
    photo = _upload(klass.teacher, klass.circle.id)
    url = f"/circles/{klass.circle.id}/notices/new"
    failed = teacher.post(url, data=_data([photo.id], when="later", publish_at="2020-01-01T09:00"))
    page = failed.get_data(as_text=True)
    assert failed.status_code == 422 and "That time has passed" in page
    assert _listed(page) == {str(photo.id): True} and "photo.png" in page
    # the browser sends the form back as shown: the notice gets its attachment
    assert teacher.post(url, data=_data(_listed(page), when="now")).status_code == 302
    notice = db.session.scalar(db.select(Notice))
    assert [a.media_id for a in notice.attachments] == [photo.id]


def test_a_failed_edit_keeps_new_uploads_and_what_was_unchecked(klass, client_as, notices):
    teacher = client_as(klass.teacher)
    old = _upload(klass.teacher, klass.circle.id, name="old.pdf")
    notice = notices.notice(klass.circle, klass.teacher, title="Trip")
    url = f"/circles/{klass.circle.id}/notices/{notice.id}/edit"
    assert teacher.post(url, data=_data([old.id], when="now")).status_code == 302
    new = _upload(klass.teacher, klass.circle.id, name="new.png")
    failed = teacher.post(url, data=_data([new.id], when="now", title=""))  # no title: invalid
    page = failed.get_data(as_text=True)
    assert failed.status_code == 422
    assert _listed(page) == {str(old.id): False, str(new.id): True}


def test_someone_elses_or_another_circles_upload_is_refused_and_not_shown(klass, client_as, make):
    teacher = client_as(klass.teacher)
    theirs = _upload(klass.student, klass.circle.id, name="theirs.png")
    elsewhere = _upload(klass.teacher, klass.circle.id + 1000, name="elsewhere.png")
    homework = _upload(klass.teacher, klass.circle.id, name="hw.png", purpose="assignment")
    url = f"/circles/{klass.circle.id}/notices/new"
    failed = teacher.post(url, data=_data([theirs.id, elsewhere.id, homework.id], when="later",
                                          publish_at="2020-01-01T09:00"))
    page = failed.get_data(as_text=True)
    assert failed.status_code == 422 and _listed(page) == {}
    assert "theirs.png" not in page and "elsewhere.png" not in page
    refused = teacher.post(url, data=_data([elsewhere.id], when="now"))
    assert refused.status_code == 422 and "That upload was not found" in refused.get_data(as_text=True)
    assert db.session.scalar(db.select(db.func.count()).select_from(Notice)) == 0
