"""The site administrator's area: users and organizations."""
from flask import Blueprint

bp = Blueprint("admin", __name__)

from lms.admin import routes  # noqa: E402,F401
