"""Organizations (schools): their admins, classes and teachers."""
from flask import Blueprint

bp = Blueprint("orgs", __name__)

from lms.orgs import routes  # noqa: E402,F401
