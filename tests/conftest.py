"""Test set-up: fixtures live in tests/fixtures and are loaded here."""
import gc

import pytest

#: young collections every 20,000 allocations, not 700: the suite allocates fast and keeps much of it
#: (tests/grading: -12 % CPU, garbage collection 2.6 -> 1.3 s)
gc.set_threshold(20_000, 10, 10)

pytest_plugins = [
    "tests.fixtures.app",
    "tests.fixtures.factories",
    "tests.fixtures.s3",
    "tests.fixtures.homework",
    "tests.fixtures.clips",
    "tests.fixtures.mail",
    "tests.fixtures.grading",
    "tests.fixtures.queries",
]

#: Tests that never open the pass's database (ffmpeg on files, storage back-ends, pure rules; the Redis
#: tests, whose processes share a SQLite file of their own): scripts/test runs them in pass 1 only, not
#: again in the PostgreSQL pass, whose result could not differ (marker `database_free`). One that asks
#: for the app (and so the pass's database) fails the collection.
DATABASE_FREE = (
    "tests/media/",
    "tests/storage/test_storage_backends.py",
    "tests/storage/test_storage_multipart.py",
    "tests/core/test_inputs.py",
    "tests/core/test_redis.py",
    "tests/core/test_redis_prefix.py",
    "tests/chat/test_redis.py",
    "tests/live/test_room_redis.py",
    "tests/files/test_archive_names.py",
    "tests/reviews/test_allocation.py",
)

#: Browser test files that scripts/test runs in pass 2 (beside pass 1, the PostgreSQL one) rather than in
#: pass 1, so the two passes end about together (marker `browser_second`); chosen by their measured time:
#: on 2 cores pass 1 took ~43 min (its browser tests ~22) and pass 2 ~35; these two take ~4.
BROWSER_BESIDE_PASS_2: tuple[str, ...] = (
    "tests/browser/test_upload.py",
    "tests/browser/test_player.py",
)


def pytest_collection_modifyitems(config, items):
    for item in items:
        if item.nodeid.startswith(BROWSER_BESIDE_PASS_2) and item.get_closest_marker("browser"):
            item.add_marker(pytest.mark.browser_second)
        if item.nodeid.startswith(DATABASE_FREE):
            if "app" in getattr(item, "fixturenames", ()):
                raise pytest.UsageError(f"{item.nodeid} uses the app (a database) but is listed in DATABASE_FREE")
            item.add_marker(pytest.mark.database_free)


@pytest.fixture(scope="module", autouse=True)
def _settle_garbage():
    """After each test module: collect what it left and freeze the rest. Python's full collections scan every
    object alive; the suite's heap grows to ~1 GB (apps, templates, ORM state), and full collections took ~15 %
    of a pass's CPU. Frozen objects are never scanned again; what the module made and dropped is collected
    first, so nothing freed later is lost but module-lifetime cycles."""
    yield
    gc.collect()
    gc.freeze()
