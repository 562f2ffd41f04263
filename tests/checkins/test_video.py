"""A check-in with a short video: who may start its upload, who may fetch it, and which videos are refused."""
from __future__ import annotations

from datetime import timedelta

import pytest

from lms.checkins import operations as ops
from lms.checkins.hooks import can_fetch_checkin_media, may_upload_for_task
from lms.checkins.models import RequirementKind
from lms.core.types import utcnow
from lms.extensions import db
from lms.uploads.access import Rendition
from tests.checkins.support import make_task


@pytest.fixture
def video_task(klass):
    today = utcnow().astimezone(klass.circle.zone).date()
    return make_task(klass.circle, klass.teacher, starts_on=today - timedelta(days=1),
                     requirement=RequirementKind.video)


def test_only_learners_may_upload_for_a_video_task(klass, video_task):
    assert may_upload_for_task(klass.student, video_task.id) == klass.circle.id
    assert may_upload_for_task(klass.teacher, video_task.id) is None
    assert may_upload_for_task(klass.stranger, video_task.id) is None
    text_task = make_task(klass.circle, klass.teacher, title="Text")
    assert may_upload_for_task(klass.student, text_task.id) is None


def test_a_video_check_in_and_who_may_watch_it(klass, hw, video_task):
    with pytest.raises(ops.CheckinError, match="Add your video"):
        ops.submit_checkin(video_task, klass.student)
    db.session.rollback()
    with pytest.raises(ops.CheckinError, match="cannot be used"):
        ops.submit_checkin(video_task, klass.student, media=hw.media(klass.classmate))
    db.session.rollback()
    with pytest.raises(ops.CheckinError, match="at most 180 seconds"):
        ops.submit_checkin(video_task, klass.student, media=hw.media(klass.student, duration=400))
    db.session.rollback()
    media = hw.media(klass.student)
    checkin = ops.submit_checkin(video_task, klass.student, media=media)
    db.session.commit()
    assert can_fetch_checkin_media(klass.classmate, checkin.id, media, Rendition.mp4)
    assert not can_fetch_checkin_media(klass.classmate, checkin.id, media, Rendition.original)
    assert can_fetch_checkin_media(klass.teacher, checkin.id, media, Rendition.original)
    assert not can_fetch_checkin_media(klass.stranger, checkin.id, media, Rendition.mp4)
    assert not can_fetch_checkin_media(klass.classmate, checkin.id, hw.media(klass.student), Rendition.mp4)
    video_task.members_see_each_other = False
    db.session.commit()
    assert not can_fetch_checkin_media(klass.classmate, checkin.id, media, Rendition.mp4)
    assert can_fetch_checkin_media(klass.student, checkin.id, media, Rendition.mp4)


def test_a_refused_check_in_keeps_its_video_in_the_uploader(klass, hw, video_task, client_as):
    """A check-in refused with a reason (here: a day in the future) shows the page again with the uploaded
    video still chosen, so the member does not upload it again; a classmate's video is never offered."""
    media = hw.media(klass.student)
    future = (utcnow().astimezone(klass.circle.zone) + timedelta(days=3)).date().isoformat()
    url = f"/c/{klass.circle.id}/checkins/{video_task.id}/checkin"
    page = client_as(klass.student).post(url, data={"media_id": str(media.id), "day": future})
    assert page.status_code == 422
    assert f'data-media-id="{media.id}"' in page.get_data(as_text=True)
    other = hw.media(klass.classmate)
    page = client_as(klass.student).post(url, data={"media_id": str(other.id), "day": future})
    assert page.status_code == 422 and f'data-media-id="{other.id}"' not in page.get_data(as_text=True)
