"""Tests of the circle feed: notices and posts."""
