import pytest

from tests.orgs.school import build_school


@pytest.fixture
def school(make):
    return build_school(make)
