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
