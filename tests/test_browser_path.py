"""The regularization-path panel in a real browser (issue 8, item 2): a click on the path
figure, on empty space or on a curve, sets beta; the slider, the URL, the canvas and the
marker on the path follow."""

from __future__ import annotations

import math

import pytest

from convexviz.ui.wording import format_beta
from tests.browser import WAIT_MS, assert_no_errors, lesson_links, open_app, url_params

pytestmark = pytest.mark.browser

FIGURE = ".st-key-beta_path .cvz-figure"
FIT_TRACE = "optimal network f(x)"


def lesson(prefix: str) -> dict[str, str]:
    (query,) = [q for name, q in lesson_links() if name.startswith(prefix)]
    return query


def wait_for_path(page, beta: float) -> None:
    """Wait until the path figure is drawn, clickable, with its marker at ``beta``."""
    page.wait_for_function(
        """([sel, beta]) => { const f = document.querySelector(sel);
            return f && f.classList.contains('cvz-clickable') && f.data && f.data.length
                && f._fullLayout && Math.abs(f.layout.shapes[0].x0 - beta) <= 1e-12 * beta; }""",
        arg=[FIGURE, beta],
        timeout=WAIT_MS,
    )


def spot(page, beta: float, where: str | float) -> tuple[float, float]:
    """Screen pixel of ``beta`` on the path's x axis; ``where``: a fraction of the plot
    area's height from its top, or the name of a trace to put the spot on."""
    page.locator(FIGURE).scroll_into_view_if_needed()
    return tuple(
        page.evaluate(
            """([sel, beta, where]) => {
                const f = document.querySelector(sel);
                const L = f._fullLayout, box = f.getBoundingClientRect(), ax = L.xaxis;
                const [r0, r1] = ax.range;
                const x = box.left + ax._offset + (Math.log10(beta) - r0) / (r1 - r0) * ax._length;
                if (typeof where === 'number') return [x, box.top + L._size.t + where * L._size.h];
                // on a trace: its value at beta (step or line), through its own y axis
                const t = f.data.find((t) => t.name === where);
                const ya = t.yaxis === 'y2' ? L.yaxis2 : L.yaxis;
                let k = 0;  // x decreasing: the last sample at or above beta
                while (k + 1 < t.x.length && t.x[k + 1] >= beta) k += 1;
                return [x, box.top + ya._offset + ya.d2p(t.y[k])];
            }""",
            [FIGURE, beta, where],
        )
    )


def drawn_fit(page) -> list[float]:
    return page.evaluate(
        """name => { const t = document.querySelector('.st-key-canvas .cvz-plot').data
            .find((t) => t.name === name); return t ? Array.from(t.y) : []; }""",
        FIT_TRACE,
    )


def slider_text(page) -> str:
    slider = page.locator("[data-testid='stSidebar'] [data-testid='stSlider']").filter(
        has_text="Regularization"
    )
    return slider.locator("[data-testid='stSliderThumbValue']").inner_text()


def steady_spot(page, beta: float, where) -> tuple[float, float]:
    """:func:`spot`, once the page has stopped moving (a rerun may still shift the layout)."""
    page.wait_for_function(
        "() => !document.querySelector(\"[data-testid='stStatusWidget']\")", timeout=WAIT_MS
    )
    last = spot(page, beta, where)
    for _ in range(40):
        page.wait_for_timeout(250)
        now = spot(page, beta, where)
        if now == last:
            return now
        last = now
    raise AssertionError(f"the path figure kept moving: {last}")


def click_and_wait(page, beta: float, where, old: str) -> float:
    """Click the path at ``beta``; wait for the URL's beta to change; return it."""
    page.mouse.click(*steady_spot(page, beta, where))
    page.wait_for_function(
        "old => new URLSearchParams(location.search).get('beta') !== old", arg=old,
        timeout=WAIT_MS,
    )  # fmt: skip
    return float(url_params(page)["beta"])


def test_a_click_on_the_path_sets_beta_everywhere(server, page):
    query = lesson("same data, depth 3")  # the 'opt' data, relu depth 3, beta = 0.001
    open_app(page, server, **query)
    wait_for_path(page, 0.001)
    assert slider_text(page) == format_beta(0.001)
    fit_before = drawn_fit(page)

    # 1. Empty space: near the top of the coefficients' panel, at beta = 0.05.
    beta = click_and_wait(page, 0.05, 0.03, old="0.001")
    assert math.isclose(beta, 0.05, rel_tol=0.04), beta  # about one pixel
    assert len(f"{beta:g}".replace("0.", "").lstrip("0")) <= 2  # kept to 2 digits
    wait_for_path(page, beta)  # the marker moved there
    page.wait_for_function(
        "([sel, text]) => [...document.querySelectorAll(sel)].some((e) => e.innerText === text)",
        arg=["[data-testid='stSidebar'] [data-testid='stSliderThumbValue']", format_beta(beta)],
        timeout=WAIT_MS,
    )
    assert slider_text(page) == format_beta(beta)
    page.wait_for_function(
        "([name, old]) => { const t = document.querySelector('.st-key-canvas .cvz-plot').data"
        ".find((t) => t.name === name); return t && JSON.stringify(Array.from(t.y)) !== old; }",
        arg=[FIT_TRACE, str(fit_before).replace(" ", "")],
        timeout=WAIT_MS,
    )  # the canvas refitted at the new beta
    assert drawn_fit(page) != fit_before

    # 2. On a curve: the neuron count's step line, at beta = 5 (between its knots).
    fit_before = drawn_fit(page)
    beta2 = click_and_wait(page, 5.0, "neurons", old=url_params(page)["beta"])
    assert math.isclose(beta2, 5.0, rel_tol=0.04), beta2
    wait_for_path(page, beta2)
    page.wait_for_function(
        "old => { const t = document.querySelector('.st-key-canvas .cvz-plot').data"
        ".find((t) => t.name === 'optimal network f(x)'); return t && t.y[0] !== old; }",
        arg=fit_before[0],
        timeout=WAIT_MS,
    )
    assert url_params(page)["pts"] == query["pts"]  # only beta changed
    assert url_params(page)["depth"] == "3"
    assert_no_errors(page)


def test_clicks_outside_the_plot_area_change_nothing(server, page):
    open_app(page, server, **lesson("abs, depth 2"))
    wait_for_path(page, 0.001)
    legend = page.locator(f"{FIGURE} .legend .traces").first
    legend.click()  # hides a trace (Plotly's own behaviour), sets no beta
    x, y = steady_spot(page, 0.01, 1.0)  # the bottom of the plot area
    page.mouse.click(x, y + 30)  # below it: the x axis' labels
    page.wait_for_timeout(1500)
    assert url_params(page)["beta"] == "0.001"
    assert_no_errors(page)
