"""Live lessons: scheduled in a circle, broadcast from the browser or OBS, watched over HLS, with a
room (chat, questions, hands, polls), attendance and a replay (issue 14, DESIGN.md §7).

The blueprint `live` serves /c/<circle_id>/live/...; its routes modules attach views to it when
lms/__init__.py imports lms.live.routes (so models import without cycles).
"""
from flask import Blueprint

bp = Blueprint("live", __name__)


@bp.record_once
def _register(state) -> None:
    """What live lessons add to the lower packages: the home page's section, the calendar's source, the
    notification kinds (lms/live/hooks.py)."""
    from lms.live import hooks, origin

    problem = origin.secret_problem(state.app.config)
    if problem:  # several hosts in production without the origin's secret: refuse to start
        raise RuntimeError(problem)
    hooks.register(state.app)
