"""The README's lesson links in the plane: each decodes cleanly and is certified optimal;
the one with points on a line is the 1-D ReLU depth-2 optimum; each page opens in a browser."""

from __future__ import annotations

import numpy as np
import pytest

from convexviz.architecture import Architecture
from convexviz.datasets2d import line_coordinates
from convexviz.fit import fit
from convexviz.plane import fit_plane
from convexviz.ui.plane_state import decode_plane
from tests.browser import WAIT_MS, assert_no_errors, plane_lesson_links
from tests.test_browser_plane import open_plane

LESSONS = plane_lesson_links()


def test_the_readme_has_plane_lesson_links():
    assert len(LESSONS) >= 5


@pytest.mark.parametrize(("lesson", "query"), LESSONS, ids=[q[0][:30] for q in LESSONS])
def test_each_plane_lesson_decodes_cleanly_and_is_certified(lesson, query):
    state, notices = decode_plane(query)
    assert notices == []
    pts = np.array(state.points)
    result = fit_plane(pts[:, :2], pts[:, 2], state.beta)
    assert result.status == "optimal" and result.network.width <= len(pts) + 1
    if lesson.startswith("points on one line"):
        t = line_coordinates(pts[:, :2])
        one_d = fit(t, pts[:, 2], Architecture("relu", 2), state.beta)
        assert result.objective == pytest.approx(one_d.lasso.objective, rel=1e-6)


@pytest.mark.browser
@pytest.mark.parametrize(("lesson", "query"), LESSONS, ids=[q[0][:30] for q in LESSONS])
def test_each_plane_lesson_opens_in_a_browser(server, page, lesson, query):
    open_plane(page, server, **query)
    assert_no_errors(page)
    verdict = page.get_by_text("Certified optimal", exact=False)
    verdict.first.wait_for(timeout=WAIT_MS)
