"""Organizations (schools): their admins, classes and teachers."""
from flask import Blueprint

bp = Blueprint("orgs", __name__)

