"""Storage fixtures: every behaviour test runs on local disk and on S3 (moto server)."""
from __future__ import annotations

import pytest

from lms.storage.local import LocalStorage


@pytest.fixture(params=["local", "s3"])
def storage(request, tmp_path):
    """Each backend in turn, empty."""
    if request.param == "local":
        return LocalStorage(tmp_path / "storage")
    return request.getfixturevalue("s3_storage")
