"""The organization's admin pages: linked from its page for its admins, and a 404 (not a 403) for everyone
else, members included, as the LTI and merge pages answer."""
from __future__ import annotations

import pytest

ADMIN_PAGES = ["/orgs/{id}/sign-in", "/orgs/{id}/sign-in/new", "/orgs/{id}/roster", "/orgs/{id}/lti",
               "/orgs/{id}/merge/"]
LINKS = ["/orgs/{id}/sign-in", "/orgs/{id}/roster", "/orgs/{id}/lti", "/orgs/{id}/merge/", "/orgs/{id}/audit"]


def test_the_org_page_links_every_admin_page_for_its_admins(client, login, school):
    """Does the org admin find school sign-in, roster sync, LTI platforms, duplicate accounts and the audit
    log from the organization's page, and a teacher none of them?"""
    login(school.admin)
    page = client.get(f"/orgs/{school.org.id}").get_data(as_text=True)
    for link in LINKS:
        assert f'href="{link.format(id=school.org.id)}"' in page, link
    assert "LTI platforms" in page and "Duplicate accounts" in page
    login(school.teacher)
    page = client.get(f"/orgs/{school.org.id}").get_data(as_text=True)
    for link in LINKS[:4]:
        assert f'href="{link.format(id=school.org.id)}"' not in page, link


@pytest.mark.parametrize("path", ADMIN_PAGES)
@pytest.mark.parametrize("who, status", [("admin", 200), ("site_admin", 200), ("teacher", 404), ("student", 404),
                                         ("outsider", 404)])
def test_org_admin_pages_are_404_for_everyone_else(client, login, school, path, who, status):
    """Is each organization admin page there for its admins, and a 404 for its teachers and students as
    for strangers?"""
    login(school.by_role(who))
    assert client.get(path.format(id=school.org.id)).status_code == status
