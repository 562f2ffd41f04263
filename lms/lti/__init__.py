"""LTI 1.3 tool: platforms (Canvas, Moodle, ...) launch Circles; a launch signs the person in through the
identity they have at the platform and maps the platform's course onto a circle."""
from flask import Blueprint

bp = Blueprint("lti", __name__)
