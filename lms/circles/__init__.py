"""Circles: creating them, joining them, and the roster (one identity per person)."""
from flask import Blueprint

bp = Blueprint("circles", __name__)

