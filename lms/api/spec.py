"""The OpenAPI 3.1 document of /api/v1, generated from the code with apispec and its marshmallow
plugin: the paths from the app's URL map, each operation from its view's `api_view` declaration
(lms/api/auth.py), the bodies from the schemas the views dump through (lms/api/schemas.py).

apispec (marshmallow-code) only writes the document: it adds no routing, validation or app object of
its own, so the blueprint stays plain Flask inside the app factory.
"""
from __future__ import annotations

import re

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import current_app
from flask_babel import gettext as _
from werkzeug.http import HTTP_STATUS_CODES

from lms.api import pagination
from lms.api.schemas import ProblemSchema, page_schema

OPENAPI_VERSION = "3.1.0"
API_VERSION = "1.0.0"
_PARAM = re.compile(r"<(?:(?P<converter>[a-zA-Z_][a-zA-Z0-9_]*)(?:\([^)]*\))?:)?(?P<name>[a-zA-Z_][a-zA-Z0-9_]*)>")
_CONVERTER_TYPES = {"int": {"type": "integer", "minimum": 0}, "float": {"type": "number"}}


def openapi_path(rule: str) -> str:
    """/circles/<int:circle_id> → /circles/{circle_id}"""
    return _PARAM.sub(lambda m: "{" + m.group("name") + "}", rule)


def documented_rules(app) -> list:
    """The URL rules of the API blueprint whose view is declared with api_view."""
    return [rule for rule in app.url_map.iter_rules()
            if rule.endpoint.startswith("api.") and hasattr(app.view_functions[rule.endpoint], "api_doc")]


def build_spec(app=None) -> dict:
    """The document as a dict, its prose in the current request's language."""
    app = app or current_app
    spec = APISpec(
        title=_("Circles API"), version=API_VERSION, openapi_version=OPENAPI_VERSION,
        plugins=[MarshmallowPlugin()],
        info={"description": _("Read your circles, rosters, assignments, submission details and grades with a "
                               "personal access token (Profile → API tokens). Every answer follows the same "
                               "permissions as the pages: a circle you cannot see is 404.")},
        servers=[{"url": "/api/v1"}],
    )
    spec.components.security_scheme("bearerAuth", {
        "type": "http", "scheme": "bearer", "bearerFormat": "circles_pat_…",
        "description": _("A personal access token. Each operation names the scope it needs."),
    })
    spec.components.schema("Problem", schema=ProblemSchema)
    registered: set[str] = {"Problem"}
    for rule in sorted(documented_rules(app), key=lambda r: r.rule):
        doc = app.view_functions[rule.endpoint].api_doc
        body = _body_schema(spec, doc, registered)
        operation = {
            "operationId": rule.endpoint.removeprefix("api."),
            "summary": str(doc.summary),
            "parameters": _parameters(rule, doc),
            "responses": {"200": {"description": _("OK"),
                                  "content": {"application/json": {"schema": body}}} if body else
                          {"description": _("OK")}},
        }
        if doc.description:
            operation["description"] = str(doc.description)
        if doc.scope is not None:
            operation["security"] = [{"bearerAuth": []}]
            operation["x-required-scopes"] = [str(doc.scope)]
            operation["description"] = " ".join(filter(None, [operation.get("description"),
                                                              _("Scope: %(scope)s.", scope=str(doc.scope))]))
        for code in (*((400,) if doc.many else ()), *doc.errors, 429):
            operation["responses"][str(code)] = {
                "description": HTTP_STATUS_CODES.get(code, str(code)),
                "content": {"application/problem+json": {"schema": "Problem"}},
            }
        methods = sorted(m.lower() for m in rule.methods - {"HEAD", "OPTIONS"})
        spec.path(path=openapi_path(rule.rule.removeprefix(app.blueprints["api"].url_prefix)),
                  operations={m: operation for m in methods})
    return spec.to_dict()


def _body_schema(spec: APISpec, doc, registered: set[str]):
    if doc.schema is None:
        return None
    name = doc.schema.__name__.removesuffix("Schema")
    if name not in registered:
        spec.components.schema(name, schema=doc.schema)
        registered.add(name)
    if not doc.many:
        return name
    page_name = name + "Page"
    if page_name not in registered:
        spec.components.schema(page_name, schema=page_schema(doc.schema))
        registered.add(page_name)
    return page_name


def _parameters(rule, doc) -> list[dict]:
    params = [{"name": m.group("name"), "in": "path", "required": True,
               "schema": dict(_CONVERTER_TYPES.get(m.group("converter") or "", {"type": "string"}))}
              for m in _PARAM.finditer(rule.rule)]
    if doc.many:
        params += [
            {"name": "cursor", "in": "query", "required": False, "schema": {"type": "string"},
             "description": _("The next_cursor of the previous page.")},
            {"name": "limit", "in": "query", "required": False,
             "schema": {"type": "integer", "minimum": 1, "maximum": pagination.MAX_LIMIT,
                        "default": pagination.DEFAULT_LIMIT}},
        ]
    return params
