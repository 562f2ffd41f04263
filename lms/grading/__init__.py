"""Grading: rubrics, grades with history and release, regrade requests, the gradebook and its export."""
from flask import Blueprint

bp = Blueprint("grading", __name__)
