"""The site administrator's area: users and organizations."""
from flask import Blueprint

bp = Blueprint("admin", __name__)

