"""The OpenAPI document: valid OpenAPI 3.1, generated from the code, and covering every /api/v1 route."""
from __future__ import annotations

import re

from openapi_spec_validator import validate
from openapi_spec_validator import OpenAPIV31SpecValidator

from lms.api.spec import openapi_path

#: routes of /api/v1 that are not API operations: the document itself and its viewer
NOT_OPERATIONS = {"/api/v1/openapi.json", "/api/v1/docs"}


def test_document_is_valid_openapi_31(klass, client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    document = response.get_json()
    assert document["openapi"] == "3.1.0"
    validate(document, cls=OpenAPIV31SpecValidator)


def test_every_api_route_is_documented(klass, app, client):
    """Does the document list every route under /api/v1 with each of its methods? A route added without
    `api_view` fails here."""
    document = client.get("/api/v1/openapi.json").get_json()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1") or rule.rule in NOT_OPERATIONS:
            continue
        path = openapi_path(rule.rule.removeprefix("/api/v1"))
        assert path in document["paths"], f"{rule.rule} is not in the OpenAPI document"
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert method.lower() in document["paths"][path], f"{method} {rule.rule} is not documented"


def test_every_operation_names_its_scope_and_errors(klass, client):
    document = client.get("/api/v1/openapi.json").get_json()
    for path, operations in document["paths"].items():
        for operation in operations.values():
            assert operation["security"] == [{"bearerAuth": []}], path
            assert re.fullmatch(r"[a-z]+:read", operation["x-required-scopes"][0]), path
            assert {"401", "429"} <= set(operation["responses"]), path
            assert "application/problem+json" in operation["responses"]["401"]["content"]


def test_documented_schema_matches_an_answer(world, api, client):
    """Are the keys of a real answer the ones the document promises for it?"""
    document = client.get("/api/v1/openapi.json").get_json()
    promised = set(document["components"]["schemas"]["Grade"]["properties"])
    response = api(world.user("owner"), f"/circles/{world.circle.id}/assignments/{world.published.id}/grades")
    for item in response.get_json()["items"]:
        assert set(item) == promised


def test_docs_page_runs_vendored_code_without_inline_script(klass, client):
    """Is the docs page built from vendored files, its start-up in a static file, under a CSP without inline scripts?"""
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "/static/vendor/swagger-ui/swagger-ui-bundle.js" in html and "/static/js/api/docs.js" in html
    assert re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html) is None
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert "unsafe-inline" not in response.headers["Content-Security-Policy"]
    for asset in ("/static/vendor/swagger-ui/swagger-ui-bundle.js", "/static/vendor/swagger-ui/swagger-ui.css",
                  "/static/js/api/docs.js"):
        with client.get(asset) as served:
            assert served.status_code == 200


def test_a_fresh_site_answers_the_api_not_the_setup_page(client):
    """Before the first admin exists, is /api/v1 still JSON (the document; 401 for data) rather than a
    redirect to the set-up page?"""
    assert client.get("/api/v1/openapi.json").status_code == 200
    response = client.get("/api/v1/circles")
    assert response.status_code == 401 and response.mimetype == "application/problem+json"
