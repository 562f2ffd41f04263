"""Lengths and sizes as people read them: a length limit in words with units, never a clock time."""
from __future__ import annotations

import pytest

from lms.uploads.messages import human_seconds, rejection_message


@pytest.mark.parametrize("seconds, words", [
    (1, "1 second"), (45, "45 seconds"), (60, "1 minute"), (1200, "20 minutes"), (210, "3 minutes 30 seconds"),
    (209.6, "3 minutes 30 seconds"), (3600, "1 hour"), (5400, "1 hour 30 minutes"), (7260, "2 hours 1 minute"),
])
def test_a_length_is_written_in_words_with_units(app, seconds, words):
    with app.test_request_context():
        assert human_seconds(seconds) == words


def test_a_too_long_video_is_refused_with_both_lengths_in_words(app):
    """Does the refusal of a 25-minute video against a 20-minute limit read as lengths, not "25:00"?"""
    with app.test_request_context():
        text = rejection_message("too_long", {"seconds": 1500.2, "limit_seconds": 1200})
    assert text == "The video is 25 minutes long, longer than the 20 minutes limit. Trim it and upload it again."


@pytest.mark.parametrize("size, text", [(601, "601 B"), (1536, "1.5 KB"), (200 * 1024 ** 2, "200 MB"),
                                        (3 * 1024 ** 3, "3 GB")])
def test_a_size_reads_as_the_uploader_writes_it(app, size, text):
    """Is a size written by the uploader's rule (symbols B, KB, MB, GB; one decimal below 100), the same in
    Chinese, so a file reads alike before and after its upload ("601 B", never "601 字节" beside "601 B")?"""
    from flask_babel import force_locale

    from lms.uploads.messages import human_bytes

    with app.test_request_context():
        for locale in ("en", "zh_Hans"):
            with force_locale(locale):
                assert human_bytes(size) == text


def test_a_file_over_the_limit_is_refused_with_sizes_that_differ_and_advice_for_its_kind(app):
    """A 210,000,000-byte .bin against a 200 MB limit: do the sizes differ ("200.3 MB" against "200 MB"),
    with advice for any file (not "shorten the video"); and a video's refusal speaks of the video?"""
    from lms.uploads.messages import too_large_message

    with app.test_request_context():
        text = too_large_message(210_000_000, 200 * 1024 ** 2, "file", "huge210.bin")
        video = rejection_message("too_large", {"size_bytes": 210_000_000, "limit_bytes": 200 * 1024 ** 2})
    assert text == "“huge210.bin” is 200.3 MB, more than the limit of 200 MB. Choose a smaller file."
    assert video == "The file is 200.3 MB, more than the limit of 200 MB. Shorten or compress the video first."


def test_starting_an_upload_over_the_limit_uses_the_one_refusal(app, monkeypatch):
    """Does the server's own refusal (start_upload, before any byte) read as the uploader's: sizes apart,
    advice by kind?"""
    from lms.accounts import operations as account_ops
    from lms.uploads.models import MediaKind
    from lms.uploads.operations import UploadError, start_upload

    monkeypatch.setitem(app.config, "MAX_FILE_BYTES", 200 * 1024 ** 2)
    with app.test_request_context():
        owner = account_ops.register_user("sizes@example.org", "a long password 1", "Sizes")
        with pytest.raises(UploadError) as refused:
            start_upload(owner, filename="huge210.bin", size=210_000_000, kind=MediaKind.file)
    assert str(refused.value) == "“huge210.bin” is 200.3 MB, more than the limit of 200 MB. Choose a smaller file."
