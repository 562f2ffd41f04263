"""Tests of the circle feed (lms.feed.posts)."""
