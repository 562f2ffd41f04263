"""Test set-up: fixtures live in tests/fixtures and are loaded here."""
pytest_plugins = [
    "tests.fixtures.app",
    "tests.fixtures.factories",
    "tests.fixtures.s3",
    "tests.fixtures.homework",
    "tests.fixtures.clips",
    "tests.fixtures.mail",
    "tests.fixtures.grading",
]
