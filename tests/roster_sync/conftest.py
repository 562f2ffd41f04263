import io

import pytest

from tests.orgs.school import build_school


@pytest.fixture
def school(make):
    return build_school(make)


@pytest.fixture
def upload(client):
    """POST a zip to the organization's roster page; returns the response."""
    def _upload(org, data: bytes, name: str = "roster.zip"):
        return client.post(f"/orgs/{org.id}/roster", data={"file": (io.BytesIO(data), name)},
                           content_type="multipart/form-data")
    return _upload
