"""The calendar: dated things of every domain (due times, scheduled notices, later live lessons and
check-ins) on a circle's calendar page and in each person's iCalendar feed."""
from flask import Blueprint

bp = Blueprint("calendar", __name__)
