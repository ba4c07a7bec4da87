"""The regularization-path panel (issue 8, item 2) driven by AppTest: present, clickable,
and saying so in words when the path cannot be computed."""

from __future__ import annotations

import json

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from convexviz.ui import betapath
from tests.apptest import params, run

OPT = {"pts": "0:0,4:0,5:0,7:2,10:3,11:3", "act": "relu", "depth": "2", "beta": "0.001"}


def path_figure(at: AppTest) -> dict:
    """The path figure the page sent to the browser (its data: figure JSON, click flag)."""
    (element,) = [e for e in at.get("bidi_component") if e.proto.id.endswith("path_figure")]
    data = json.loads(element.proto.json)
    assert data["click"] is True
    return json.loads(data["figure"])


def panel_texts(at: AppTest) -> list[str]:
    return [str(e.value) for e in (*at.subheader, *at.caption, *at.warning, *at.info)]


@pytest.fixture(scope="module")
def default_app() -> AppTest:
    return run()


def test_the_default_page_has_the_path_panel_with_its_figure(default_app):
    at = default_app
    assert not at.exception and not at.error
    texts = panel_texts(at)
    assert betapath.PATH_TITLE in texts and betapath.PATH_TEXT in texts
    figure = path_figure(at)
    names = [trace.get("name") for trace in figure["data"]]
    assert "neurons" in names and len(names) >= 3  # features' coefficients + the count
    assert figure["layout"]["xaxis"]["type"] == "log"
    assert figure["layout"]["legend"]["x"] > 1  # beside the plot, not over the curves
    assert figure["layout"].get("showlegend", True) is not False
    assert betapath.MANY_FEATURES_TEXT not in panel_texts(at)
    assert figure["layout"]["yaxis2"]["dtick"] == 1  # 3 neurons at most: every count labelled
    (marker,) = figure["layout"]["shapes"]
    assert marker["x0"] == pytest.approx(1e-3)  # the current beta, marked
    low, high = at.session_state["path_range"]
    # beta_max down to beta_max / 1e4, or farther, so that the current beta lies on it
    assert high == pytest.approx(27.67, rel=1e-3) and low <= high * 1e-4
    assert low < 1e-3 and figure["layout"]["xaxis"]["range"][0] <= np.log10(low) + 1e-9


def test_a_click_on_the_path_sets_beta_the_slider_and_the_url():
    at = run(OPT)
    low, high = at.session_state["path_range"]
    # What the component's callback does with the trigger {x, n} of a click:
    assert betapath.apply_click(at.session_state, {"x": 0.123456, "n": 1})
    at.run()
    assert not at.exception
    assert at.session_state["app"].beta == 0.12
    assert at.select_slider(key="w_beta").value == 0.12
    assert params(at)["beta"] == "0.12"
    (marker,) = path_figure(at)["layout"]["shapes"]
    assert marker["x0"] == 0.12
    # The canvas refits: its status line counts the neurons of the network at beta = 0.12.
    (status,) = [str(e.value) for e in at.success]
    path = betapath.SHARED.path(at.session_state["app"].points, _arch(at), _dictionary(at)).path
    n = path.number_of_neurons(0.12)
    assert f"{n} neuron{'s' * (n != 1)}" in status
    # A click right of beta_max means beta_max; an unusable report changes nothing.
    assert betapath.apply_click(at.session_state, {"x": 10 * high, "n": 2})
    assert at.session_state["app"].beta == high
    assert not betapath.apply_click(at.session_state, {"x": None, "n": 3})
    assert not betapath.apply_click(at.session_state, "garbage")
    assert at.session_state["app"].beta == high


def _arch(at: AppTest):
    from convexviz import Architecture

    s = at.session_state["app"]
    return Architecture(s.activation, s.depth, s.leak, s.branching)


def _dictionary(at: AppTest):
    from convexviz.ui.fitmemo import fit_state

    result, _ = fit_state(at.session_state["app"])
    return result.dictionary


def break_below(monkeypatch, threshold: float) -> None:
    """Make the engine unable to continue the path below ``threshold`` (as with ties beyond
    double precision): the homotopy breaks there and no solve is allowed."""
    import convexviz.path as path_module

    homotopy_line = path_module._Homotopy.line_below

    def broken(self, beta, support, signs):
        return None if beta < threshold else homotopy_line(self, beta, support, signs)

    monkeypatch.setattr(path_module._Homotopy, "line_below", broken)
    monkeypatch.setattr(path_module, "MAX_FALLBACK_SOLVES", 0)


def test_a_path_that_cannot_be_computed_is_said_in_words(monkeypatch):
    break_below(monkeypatch, 1e9)  # stops at beta_max itself: nothing to draw
    betapath.SHARED.clear()
    try:
        at = run({**OPT, "pts": "0:0,1:2,2:0,3:2.5"})
    finally:
        betapath.SHARED.clear()
    assert not at.exception and not at.error
    (warning,) = [str(w.value) for w in at.warning]
    assert "could not be computed" in warning and "could not be continued below β_max" in warning
    assert "double precision" in warning
    assert not [e for e in at.get("bidi_component") if e.proto.id.endswith("path_figure")]
    # The rest of the page works: the fit, its status and the other panels are there.
    assert [str(e.value) for e in at.success]
    assert any("rebuilt network" in str(s.value) for s in at.subheader)


def test_equal_targets_have_no_path_to_draw():
    at = run({**OPT, "pts": "0:1,1:1,2:1"})
    assert not at.exception
    assert betapath.CONSTANT_TEXT in [str(e.value) for e in at.info]


def opt_problem(depth: int = 2):
    from convexviz import Architecture, build_dictionary

    points = ((0.0, 0.0), (4.0, 0.0), (5.0, 0.0), (7.0, 2.0), (10.0, 3.0), (11.0, 3.0))
    arch = Architecture("relu", depth)
    return points, arch, build_dictionary([x for x, _ in points], arch)


def test_the_path_is_computed_once_per_points_and_architecture():
    memo = betapath.PathMemo(max_entries=2)
    points, arch, d = opt_problem()
    first = memo.path(points, arch, d)
    assert first.stopped is None and first.reason == ""
    assert first.path.betas[-1] == pytest.approx(first.path.beta_max * 1e-4)
    assert memo.path(points, arch, d) is first and memo.computed == 1
    # any beta on the path is served by it; a beta below it extends it once, then is served
    assert memo.path(points, arch, d, down_to=first.path.betas[-1] * 3) is first
    deeper = memo.path(points, arch, d, down_to=1e-5)
    assert deeper is not first and deeper.path.betas[-1] == pytest.approx(5e-6)
    assert memo.computed == 2 and memo.path(points, arch, d, down_to=1e-3) is deeper
    # a new key asking for a deep beta computes once, as deep as asked
    other = ((0.0, 1.0), *points[1:])
    assert memo.path(other, arch, d, down_to=1e-6).path.betas[-1] == pytest.approx(5e-7)
    assert memo.computed == 3
    # never farther than beta_max * MIN_RATIO
    assert memo.path(points, arch, d, down_to=1e-30).path.betas[-1] == pytest.approx(
        first.path.beta_max * betapath.MIN_RATIO
    )


def test_a_failed_path_is_remembered_and_a_failed_extension_keeps_the_path(monkeypatch):
    from dataclasses import replace

    memo = betapath.PathMemo()
    points, arch, d = opt_problem()
    calls = []
    real = betapath.regularization_path

    def flaky(dictionary, y, beta_min=None):
        """Deeper paths stop at 0.001 (above the default depth), paths of new points at
        beta_max."""
        calls.append(beta_min)
        if beta_min is None:
            return real(dictionary, y)
        stop = 0.01 if y[0] == 0 else 1e9  # 0.01: above the default depth (0.0028)
        path = real(dictionary, y, stop)
        return replace(path, stopped_at=float(path.betas[-1]), stop_reason="ties")

    monkeypatch.setattr(betapath, "regularization_path", flaky)
    shallow = memo.path(points, arch, d)
    extended = memo.path(points, arch, d, down_to=1e-5)  # stops: the shallow path is kept
    assert extended.path is shallow.path and extended.stopped == shallow.path.betas[-1]
    assert extended.reason == "ties"
    assert calls == [None, 5e-6]  # one computation each: a stopped path is not recomputed
    assert memo.path(points, arch, d, down_to=1e-6) is extended and len(calls) == 2
    with pytest.raises(ValueError, match="could not be continued below β_max = .*: ties"):
        memo.path(((0.0, 1.0), *points[1:]), arch, d, down_to=1e-6)
    with pytest.raises(ValueError, match="could not be continued"):  # remembered
        memo.path(((0.0, 1.0), *points[1:]), arch, d, down_to=1e-6)
    assert len(calls) == 3


def test_a_path_that_stops_early_is_drawn_down_to_where_it_stopped(monkeypatch):
    from convexviz import Architecture, build_dictionary
    from convexviz.datasets import random_points
    from convexviz.lasso import certificate_tolerance, dual_gap

    points = tuple(random_points(20, 0))
    arch = Architecture("abs", 3)
    d = build_dictionary([x for x, _ in points], arch)
    y = np.array([y for _, y in points])
    break_below(monkeypatch, 0.001)
    calls = []
    real = betapath.regularization_path
    monkeypatch.setattr(
        betapath, "regularization_path", lambda *args: calls.append(args) or real(*args)
    )
    drawn = betapath.PathMemo().path(points, arch, d, down_to=1e-3)  # asks for 5e-4
    path = drawn.path
    assert len(calls) == 1  # the stopped path is the result: no second computation
    assert drawn.stopped == path.stopped_at == path.betas[-1] < 0.001
    assert drawn.reason == path.stop_reason and "double precision" in drawn.reason
    assert path.beta_max > 10 * path.betas[-1]  # most of the path is there
    for z, offset, objective, beta in zip(
        path.z, path.offsets, path.objectives, path.betas, strict=True
    ):  # every knot drawn is certified optimal
        gap = dual_gap(d.A, y, z, offset, beta)
        assert gap <= certificate_tolerance(d.A, z, objective)
    assert path.betas[-1] < 1e-3  # the current beta 1e-3 lies on the path drawn
    text = betapath.stopped_text(drawn.stopped, drawn.reason)
    assert f"{drawn.stopped:.3g}" in text and "double precision" in text


def test_the_memo_keeps_at_most_its_entries():
    memo = betapath.PathMemo(max_entries=1)
    points, arch, d = opt_problem()
    first = memo.path(points, arch, d)
    memo.path(((0.0, 1.0), *points[1:]), arch, d)
    assert memo.path(points, arch, d) is not first and memo.computed == 3


def test_the_neuron_counts_of_path_and_fit_are_explained_when_they_differ():
    from convexviz import fit

    points, arch, d = opt_problem(depth=4)
    beta = 1.0  # the path follows an optimum with 2 neurons there, the fit polishes to 1
    path = betapath.SHARED.path(points, arch, d).path
    x, y = zip(*points, strict=True)
    result = fit(x, y, arch, beta)
    n_path, n_fit = path.number_of_neurons(beta), result.network.n_neurons
    assert n_path != n_fit  # 'opt' at depth 4: a reflection network is optimal too
    note = betapath.count_note(path, beta, n_fit)
    assert "not unique" in note and f"{n_path} neurons" in note and f"with {n_fit}" in note
    assert betapath.count_note(path, beta, n_path) == ""
    assert betapath.count_note(path, path.betas[-1] / 10, 1) == ""  # below the path


def test_the_sent_figure_draws_the_exact_path_and_only_its_marker_moves():
    from convexviz import Architecture, build_dictionary
    from convexviz.datasets import random_points
    from convexviz.path_figure import create_path_figure

    points = tuple(random_points(20, 1))
    arch = Architecture("relu", 3)
    d = build_dictionary([x for x, _ in points], arch)
    path = betapath.PathMemo().path(points, arch, d).path
    full = create_path_figure(path, d, 1e-2)
    sent = json.loads(betapath.path_figure_json(path, d, 1e-2))
    again = json.loads(betapath.path_figure_json(path, d, 0.5))
    assert again["layout"]["shapes"][0]["x0"] == 0.5 == again["layout"]["shapes"][0]["x1"]
    assert sent["layout"]["shapes"][0]["x0"] == 1e-2
    assert again["data"] == sent["data"]  # the curves are built once per path
    assert [t["name"] for t in sent["data"]] == [t.name for t in full.data]
    x_span = np.log10(path.beta_max / path.betas[-1])
    curves = [t for t in full.data if t.name != "neurons"]
    y_span = np.ptp(np.concatenate([np.asarray(t.y) for t in curves]))
    kept = total = 0
    for j, original, thin in zip(path.ever_active, curves, sent["data"], strict=False):
        assert thin["name"] == original.name
        x, y = np.asarray(thin["x"]), np.asarray(thin["y"])
        kept, total = kept + x.size, total + len(original.x)
        # every point sent is a point of the exact path ...
        exact = np.array([path.at(b)[0][j] for b in x])
        np.testing.assert_allclose(y, exact, rtol=0, atol=1e-9 * y_span)
        # ... and the thin line passes within SIMPLIFY_TOL of every sample (in plot units)
        plot = lambda xs, ys: np.column_stack([np.log10(xs) / x_span, np.asarray(ys) / y_span])  # noqa: E731
        gap = distance_to_polyline(plot(original.x, original.y), plot(x, y))
        assert gap.max() <= betapath.SIMPLIFY_TOL * (1 + 1e-9)
    assert kept < total / 5  # most samples were redundant


def distance_to_polyline(points: np.ndarray, line: np.ndarray) -> np.ndarray:
    """Distance of each point (rows) to the polyline through the rows of ``line``."""
    a, b = line[:-1], line[1:]
    ab = b - a
    length2 = np.maximum((ab**2).sum(axis=1), 1e-300)
    t = ((points[:, None, :] - a[None]) * ab[None]).sum(axis=2) / length2[None]
    nearest = a[None] + np.clip(t, 0, 1)[..., None] * ab[None]
    return np.sqrt(((points[:, None, :] - nearest) ** 2).sum(axis=2)).min(axis=1)


def test_the_page_draws_a_path_that_stops_early_and_says_where(monkeypatch):
    from convexviz.datasets import random_points
    from convexviz.ui.state import format_points

    points = format_points(tuple(random_points(20, 0)))
    break_below(monkeypatch, 0.001)
    betapath.SHARED.clear()
    try:
        at = run({"pts": points, "act": "abs", "depth": "3", "beta": "0.001"})
    finally:
        betapath.SHARED.clear()
    assert not at.exception and not at.error
    low, high = at.session_state["path_range"]
    assert low < 0.001 < high
    (warning,) = [str(w.value) for w in at.warning]
    assert f"drawn from β_max down to β = {low:.3g} only" in warning
    assert "double precision" in warning
    figure = path_figure(at)  # most of the path is still drawn, its marker on it
    assert figure["layout"]["shapes"][0]["x0"] == 0.001
    # dozens of features: no legend squeezing the plot, each curve named on hover instead
    assert figure["layout"]["showlegend"] is False
    curves = [t for t in figure["data"] if t["name"] != "neurons"]
    assert len(curves) > betapath.LEGEND_MAX
    # the hover starts with the full label, of the same kind as the short name in the data
    kind = lambda text: text.split(":")[0].split(" (")[0]  # noqa: E731
    assert all(kind(t["hovertemplate"].split("<br>")[0]) == kind(t["name"]) for t in curves)
    assert all("<br>beta=" in t["hovertemplate"] for t in curves)
    assert betapath.MANY_FEATURES_TEXT in [str(c.value) for c in at.caption]


def test_no_path_for_a_dictionary_over_the_limit(monkeypatch):
    monkeypatch.setattr(betapath, "MAX_PATH_FEATURES", 5)
    at = run(OPT)  # relu depth 2 on 6 points: 9 distinct features
    assert not at.exception
    size = _dictionary(at).size
    assert size > 5 and betapath.too_large_text(size) in [str(e.value) for e in at.info]
    assert not [e for e in at.get("bidi_component") if e.proto.id.endswith("path_figure")]
    assert [str(e.value) for e in at.success]  # the fit is there


def test_the_slider_moves_the_marker_and_the_path_is_not_recomputed():
    at = run(OPT)
    before = path_figure(at)
    computed = betapath.SHARED.computed
    at.select_slider(key="w_beta").set_value(0.1).run()
    after = path_figure(at)
    assert after["layout"]["shapes"][0]["x0"] == 0.1 and params(at)["beta"] == "0.1"
    assert after["data"] == before["data"]  # same curves, same path
    assert betapath.SHARED.computed == computed  # from the memo
