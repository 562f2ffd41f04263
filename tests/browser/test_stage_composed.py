"""The composed view of the real-time stage (static/js/live/broadcast.js), which goes into the recording and the HLS
fallback while students are on stage: where 1 to 16 people's tiles go, and the marks every page shows on a tile
(muted, the turn's time left) drawn into the picture too. The app's own scripts, served by the live app, in
chromium; the drawing is read back from the canvas."""
from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser

WIDTH, HEIGHT = 1280, 720


@pytest.fixture
def page(new_context):
    page = new_context().new_page()
    page.goto("/static/css/app.css")  # any page of the app's origin: the scripts below load from it
    for script in ("js/live/stage_common.js", "js/live/broadcast.js"):
        page.add_script_tag(url=f"/static/{script}")
    page.wait_for_function("() => window.Circles && window.Circles.composed && window.Circles.stage")
    return page


def test_up_to_16_tiles_fit_beside_the_teachers_picture(page):
    """For 1 to 16 people on stage (STAGE_MAX), is every tile inside the 1280×720 picture, at least 256×144
    (a face and a name read at that size), overlapping neither another tile nor the teacher's picture, which
    keeps 60 to 80 % of the width?"""
    layouts = page.evaluate("""([w, h]) => Array.from({length: 16}, (_, i) =>
        window.Circles.composed.stageLayout(i + 1, w, h))""", [WIDTH, HEIGHT])

    def overlap(a, b):
        return (a["x"] < b["x"] + b["w"] - 0.5 and b["x"] < a["x"] + a["w"] - 0.5
                and a["y"] < b["y"] + b["h"] - 0.5 and b["y"] < a["y"] + a["h"] - 0.5)

    for n, layout in enumerate(layouts, start=1):
        main, cells = layout["main"], layout["cells"]
        assert len(cells) == n
        assert 0.6 * WIDTH - 0.5 <= main["w"] <= 0.8 * WIDTH + 0.5, (n, main)
        for i, cell in enumerate(cells):
            assert cell["x"] >= -0.5 and cell["y"] >= -0.5, (n, cell)
            assert cell["x"] + cell["w"] <= WIDTH + 0.5 and cell["y"] + cell["h"] <= HEIGHT + 0.5, (n, cell)
            assert cell["w"] >= 255.5 and cell["h"] >= 143.5, (n, cell)
            assert not overlap(cell, main), (n, cell, main)
            assert not any(overlap(cell, other) for other in cells[i + 1:]), (n, cell)


def test_a_muted_person_and_the_turns_time_left_are_drawn_on_their_tile(page):
    """Is a muted person's tile marked with the red muted disc at its top right, and does the tile of the person
    whose turn it is carry the time left at its top left, while a tile without either has neither?"""
    found = page.evaluate("""([w, h]) => {
        const C = window.Circles.composed;
        const compositor = new C.Compositor(null, null, "/static/no-ticker.js", null);
        compositor.stopped = true;  // drawn here, once, not by the ticker
        compositor.setTiles([
            {id: 1, name: "Ann", stream: null, muted: true, turnEndsAt: Date.now() + 42000},
            {id: 2, name: "Bo", stream: null, muted: false, turnEndsAt: null},
        ]);
        compositor.draw();
        const c = compositor.canvas.getContext("2d");
        const cells = C.stageLayout(2, w, h).cells;
        const count = (x, y, cw, ch, test) => {
            const data = c.getImageData(Math.round(x), Math.round(y), Math.round(cw), Math.round(ch)).data;
            let n = 0;
            for (let i = 0; i < data.length; i += 4) { if (test(data[i], data[i + 1], data[i + 2])) { n += 1; } }
            return n;
        };
        const red = (r, g, b) => r > 170 && g < 90 && b < 90;
        const white = (r, g, b) => r > 200 && g > 200 && b > 200;
        const corners = (cell) => ({
            topRight: count(cell.x + cell.w * 0.6, cell.y, cell.w * 0.4, cell.h * 0.4, red),
            topLeft: count(cell.x, cell.y, cell.w * 0.4, cell.h * 0.4, white),
        });
        return {muted: corners(cells[0]), plain: corners(cells[1]), tiles: compositor.canvas.dataset.composedTiles};
    }""", [WIDTH, HEIGHT])
    assert found["tiles"] == "2"
    assert found["muted"]["topRight"] > 100, found  # the red disc
    assert found["muted"]["topLeft"] > 20, found  # "0:42" in white
    assert found["plain"] == {"topRight": 0, "topLeft": 0}, found
