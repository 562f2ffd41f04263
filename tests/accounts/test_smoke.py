from tests.fixtures.app import page_text


def test_first_run_leads_to_setup(client):
    """Does a fresh site send every visitor to the first-run page?"""
    response = client.get("/")
    assert response.status_code == 302 and response.headers["Location"].endswith("/setup")
