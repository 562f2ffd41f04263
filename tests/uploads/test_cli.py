"""`flask media check|process|retry`: the upload pipeline for operators."""
from __future__ import annotations

import pytest

from lms.core.types import utcnow
from lms.extensions import db
from lms.uploads.models import Media, MediaState
from tests.media.tools import ffprobe_json


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


def test_check_accepts_a_video(runner, clips):
    result = runner.invoke(args=["media", "check", str(clips.valid)])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("accepted") and "320x240" in result.output


@pytest.mark.parametrize("content, code", [(b"#EXTM3U\n#EXTINF:1,\nfile:///etc/passwd\n", "playlist"),
                                           (b"hello\n" * 50, "not_video"), (b"", "empty")])
def test_check_rejects_with_the_reason_on_the_last_line(runner, tmp_path, content, code):
    """Does `check` exit 1 and put the reason a person reads on its last line?"""
    path = tmp_path / "upload.mp4"
    path.write_bytes(content)
    result = runner.invoke(args=["media", "check", str(path)])
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert lines[0] == f"rejected ({code})" and lines[-1].endswith(".")


def test_process_writes_mp4_and_poster(runner, clips, tmp_path):
    out = tmp_path / "out"
    result = runner.invoke(args=["media", "process", str(clips.valid), str(out)])
    assert result.exit_code == 0, result.output
    assert "100 %" in result.output
    streams = ffprobe_json(out / "video.mp4", "stream=codec_name")["streams"]
    assert {s["codec_name"] for s in streams} == {"h264", "aac"}
    assert (out / "poster.jpg").stat().st_size > 0


def test_retry_requeues_a_failed_item_and_refuses_others(app, runner, make, clips):
    """Does `retry` process a failed video again from its original, and refuse one that did not fail?"""
    from lms.storage import get_storage

    owner = make.user()
    media = Media(owner_id=owner.id, state=MediaState.failed, error_code="processing_failed", attempts=3,
                  original_key="media/cli-retry/original", filename="a.mp4", max_seconds=60)
    media.received_at = utcnow()
    get_storage().put_file(media.original_key, clips.valid)
    db.session.add(media)
    db.session.commit()

    result = runner.invoke(args=["media", "retry", str(media.id)])
    assert result.exit_code == 0, result.output
    db.session.refresh(media)
    assert media.state == MediaState.ready and media.attempts == 1

    again = runner.invoke(args=["media", "retry", str(media.id)])
    assert again.exit_code == 1 and "ready" in again.output
    assert runner.invoke(args=["media", "retry", "999999"]).exit_code == 1
