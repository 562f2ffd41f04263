"""Attachments: a member's own upload sent with a message, fetched by readers of the channel through a link signed
for each reader; nobody else's upload can be sent, and outsiders never reach the file."""
from __future__ import annotations

import io

import pytest

from lms.chat import operations as ops
from lms.chat import queries as q
from lms.extensions import db
from lms.storage import get_storage, new_key
from lms.uploads.models import MediaKind
from tests.chat.support import send


def _file(hw, owner, name="notes.pdf", data=b"%PDF-1.4 tiny"):
    media = hw.media(owner, kind=MediaKind.file, filename=name)
    key = new_key("media") + "/original"
    get_storage().put(key, io.BytesIO(data))
    media.original_key, media.bytes = key, len(data)
    db.session.commit()
    return media


@pytest.mark.parametrize("who,expected", [("owner", 302), ("teacher", 302), ("assistant", 302), ("student2", 302),
                                          ("removed", 404), ("stranger", 404)])
def test_an_attachment_by_role(world, hw, client_as, who, expected):
    """Does every member reach a message's file (a redirect to a link signed for them, which serves the bytes),
    and a removed member or a stranger get 404?"""
    media = _file(hw, world.user("student"))
    message = send(world, "student", "my notes", media_id=media.id)
    client = client_as(world.user(who))
    answer = client.get(f"/c/{world.circle.id}/chat/{world.main.id}/m/{message.id}/attachment")
    assert answer.status_code == expected
    if expected == 302:
        served = client.get(answer.headers["Location"])
        try:
            assert served.get_data() == b"%PDF-1.4 tiny"
        finally:
            served.close()


def test_only_ones_own_upload_can_be_attached(world, hw):
    media = _file(hw, world.user("student2"))
    with pytest.raises(ops.ChatError):
        send(world, "student", "not mine", media_id=media.id)


def test_an_image_and_a_clip_are_shown_as_such(world, hw):
    """Is an image attachment flagged to show inline, a clip as a video with a poster link, in the room's copy?"""
    image = _file(hw, world.user("student"), name="board.png")
    clip = hw.media(world.user("student"), kind=MediaKind.video, filename="answer.webm")
    reader = q.reader_of(world.circle, world.user("student2"))
    shown = q.message_dicts(world.main, [send(world, "student", "", media_id=image.id),
                                         send(world, "student", "my answer", media_id=clip.id)], reader)
    assert shown[0]["media"]["image"] is True and shown[0]["media"]["kind"] == "file"
    assert shown[1]["media"]["kind"] == "video" and shown[1]["media"]["poster"].endswith("?rendition=poster")


def test_a_deleted_messages_file_is_gone(world, hw, client_as):
    media = _file(hw, world.user("student"))
    message = send(world, "student", "oops", media_id=media.id)
    ops.delete_own_or_any(message, q.reader_of(world.circle, world.user("student")))
    db.session.commit()
    assert client_as(world.user("student2")).get(
        f"/c/{world.circle.id}/chat/{world.main.id}/m/{message.id}/attachment").status_code == 404


def test_the_upload_purpose_belongs_to_writers_of_the_channel(world):
    """May members start an upload for a channel they can write in (its circle), and not outsiders?"""
    from lms.chat.hooks import may_upload_for_channel

    assert may_upload_for_channel(world.user("student"), world.main.id) == world.circle.id
    assert may_upload_for_channel(world.user("stranger"), world.main.id) is None
    assert may_upload_for_channel(world.user("removed"), world.main.id) is None
