"""Peer review of video homework: set-up per assignment, allocation in rounds, reviews with
timestamped comments, calibration (issue 13)."""
from flask import Blueprint

bp = Blueprint("reviews", __name__)
