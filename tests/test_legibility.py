"""Legible figures on every lesson link and on random data of every architecture.

Measured in a real browser (Playwright + Debian chromium against ``streamlit run``), from
the bounding boxes of the rendered SVG:

a. the **Selected features** figure's plot area (its ``.nsewdrag`` rectangle) fills at
   least 60 % of the figure's width, every annotation of the mirror construction lies
   inside the plot area, and no text of the figure is cut off at its edges;
b. no text of the **rebuilt network** figure is cut off at its edges;
c. on the **click canvas** the legend covers neither a training point nor the space a
   student clicks into: its box (``.st-key-canvas .legend``) does not meet the plot area
   (``.st-key-canvas .nsewdrag``) and lies inside the canvas (``.st-key-canvas``).

Cases: every link of README.md's "Lesson links" table (read from the README, so a new
lesson is checked too), and seeded random data for every supported (activation, depth).
"""

from __future__ import annotations

import re

import pytest

from convexviz import Architecture
from convexviz.architecture import MAX_DEPTH
from convexviz.cost import max_points
from convexviz.datasets import random_points
from convexviz.limits import DEFAULT_RANDOM_POINTS
from tests.browser import WAIT_MS, assert_no_errors, inside, lesson_links, open_app, overlap

pytestmark = pytest.mark.browser

#: Smallest share of the features figure's width its plot area must fill.
MIN_PLOT_SHARE = 0.6
#: Sub-pixel rounding of the browser's boxes.
TOLERANCE_PX = 1.0
#: After the first draw, a moment for a late resize (a scrollbar appearing) to redraw.
SETTLE_MS = 200
RANDOM_SEED = 7
ARCHITECTURES = [(a, d) for a, top in MAX_DEPTH.items() for d in range(2, top + 1)]


def random_case(activation: str, depth: int) -> dict[str, str]:
    """The app's random data set, with as many points as the architecture accepts live
    (the deep ones allow fewer: ``convexviz.cost.max_points``)."""
    count = min(DEFAULT_RANDOM_POINTS, max_points(Architecture(activation, depth)))
    points = random_points(count, seed=RANDOM_SEED)
    pts = ",".join(f"{x:g}:{y:g}" for x, y in points)
    return {"pts": pts, "act": activation, "depth": str(depth), "beta": "0.001"}


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


LESSONS = lesson_links()
#: Busy data found by looking at the page: 7 neurons of deep reflections and midpoints whose
#: long labels once overlapped the coefficient ticks and squeezed the path figure's plot.
BUSY = {
    "pts": "-2:0.3,-1.4:1.2,-0.9:-0.4,-0.3:0.8,0.2:-1,0.7:0.5,1.3:1.4,1.9:-0.2",
    "act": "abs",
    "depth": "4",
    "beta": "0.01",
}
CASES = [
    *(pytest.param(query, id=f"lesson-{slug(lesson)}") for lesson, query in LESSONS),
    *(pytest.param(random_case(a, d), id=f"random-{a}-depth-{d}") for a, d in ARCHITECTURES),
    pytest.param(BUSY, id="busy-abs-depth-4"),
]

#: Boxes (left, top, right, bottom in page pixels) of what the three checks measure.
MEASURE_JS = """() => {
    const box = (e) => { const b = e.getBoundingClientRect();
        return [b.left, b.top, b.right, b.bottom]; };
    const texts = (root) => [...root.querySelectorAll('text')]
        .filter((t) => t.textContent.trim() && t.getBoundingClientRect().width > 0)
        .map((t) => [t.textContent, box(t), !!t.closest('[clip-path*="plot)"]')]);
    const panel = (key) => {
        const root = document.querySelector(`.st-key-${key} .cvz-figure`);
        return {figure: box(root.querySelector('.main-svg')),
                plot: box(root.querySelector('.nsewdrag')),
                annotations: [...root.querySelectorAll('.annotation')]
                    .map((a) => [a.textContent, box(a)]),
                mirrors: root.data.filter((t) => (t.name || '').startsWith('mirror ')).length,
                texts: texts(root)};
    };
    const canvas = document.querySelector('.st-key-canvas');
    const legend = canvas.querySelector('.legend');
    const path = document.querySelector('.st-key-path_figure .cvz-figure .main-svg')
        ? panel('path_figure') : null;
    const alert = document.querySelector('.st-key-beta_path [data-testid="stAlert"]');
    return {features: panel('features'), network: panel('network'), path,
            path_message: alert ? alert.innerText : '',
            canvas: {figure: box(canvas), plot: box(canvas.querySelector('.nsewdrag')),
                     legend: legend && box(legend)}};
}"""

#: The panel figures are drawn one at a time after the canvas settles (figure.js).
DRAWN_JS = """() => ['features', 'network'].every((k) => {
    const f = document.querySelector(`.st-key-${k} .cvz-figure`);
    return f && f.data && f._fullLayout && f.querySelector('.main-svg .nsewdrag'); })"""


def cut_off(texts, figure, plot) -> list:
    """The texts not wholly visible: outside the figure, or clipped by the plot area (Plotly
    clips a trace's text to the plot area unless the trace says ``cliponaxis=False``)."""
    return [
        (text, [round(v) for v in box])
        for text, box, clipped in texts
        if not inside(box, plot if clipped else figure)
    ]


#: The path panel is done: its figure drawn, or a sentence saying why there is none.
PATH_SETTLED_JS = """() => {
    const panel = document.querySelector('.st-key-beta_path');
    if (!panel) return false;
    const f = panel.querySelector('.st-key-path_figure .cvz-figure');
    if (f && f.data && f._fullLayout && f.querySelector('.main-svg .nsewdrag')) return true;
    return !!panel.querySelector('[data-testid="stAlert"]');
}"""

#: The path figure keeps its legend beside the plot (every spot of the plot is clickable):
#: its plot area must still fill at least this share of the figure's width.
MIN_PATH_PLOT_SHARE = 0.5


@pytest.fixture(scope="module")
def measured(server, context):
    """Measure every case on its own page once; the three checks read the results."""
    results: dict[str, dict] = {}

    def measure(query: dict[str, str]) -> dict:
        key = tuple(sorted(query.items()))
        if key not in results:
            page = context.new_page()
            try:
                open_app(page, server, **query)
                page.wait_for_function(DRAWN_JS, timeout=WAIT_MS)
                page.wait_for_function(PATH_SETTLED_JS, timeout=WAIT_MS)
                page.wait_for_timeout(SETTLE_MS)
                assert_no_errors(page)
                results[key] = page.evaluate(MEASURE_JS)
            finally:
                page.close()
        return results[key]

    return measure


def test_the_readme_has_lesson_links():
    assert len(LESSONS) >= 8
    assert all({"pts", "act", "depth", "beta"} <= set(q) for _, q in LESSONS)


@pytest.mark.parametrize("query", CASES)
def test_features_plot_area_is_wide_and_holds_the_mirror_construction(measured, query):
    features = measured(query)["features"]
    figure, plot = features["figure"], features["plot"]
    share = (plot[2] - plot[0]) / (figure[2] - figure[0])
    assert share >= MIN_PLOT_SHARE, f"the plot area fills only {share:.0%} of the width"
    outside = [(t, [round(v) for v in b]) for t, b in features["annotations"]
               if not inside(b, plot)]  # fmt: skip
    assert not outside, f"mirror construction outside the plot area: {outside}"
    if features["mirrors"]:
        assert any("mirrored at" in text for text, _ in features["annotations"])
    assert not cut_off(features["texts"], figure, plot), "text cut off"


@pytest.mark.parametrize("query", CASES)
def test_no_network_text_is_cut_off(measured, query):
    network = measured(query)["network"]
    assert network["texts"], "the network figure shows no text"
    cut = cut_off(network["texts"], network["figure"], network["plot"])
    assert not cut, f"text cut off: {cut}"


@pytest.mark.parametrize("query", CASES)
def test_canvas_legend_stays_out_of_the_plot_area(measured, query):
    canvas = measured(query)["canvas"]
    legend = canvas["legend"]
    assert legend is not None, "the canvas has no legend"
    assert not overlap(legend, canvas["plot"]), (legend, canvas["plot"])
    assert inside(legend, canvas["figure"]), (legend, canvas["figure"])


@pytest.mark.parametrize("query", CASES)
def test_path_plot_area_is_wide_and_no_text_is_cut_off(measured, query):
    """The regularization path: long feature names once squeezed its plot to nothing."""
    path = measured(query)["path"]
    if path is None:  # then the panel says in words why no path is drawn
        assert measured(query)["path_message"].strip()
        return
    figure, plot = path["figure"], path["plot"]
    share = (plot[2] - plot[0]) / (figure[2] - figure[0])
    assert share >= MIN_PATH_PLOT_SHARE, f"the plot area fills only {share:.0%} of the width"
    assert not cut_off(path["texts"], figure, plot), "text cut off"
