"""The teaching panels (issue 8 items 3-5) driven by AppTest: every optimal network, the
closed forms beside the numbers, the problem as code. What only a browser shows (the curve
changing on screen, files arriving, the PNG button) is in test_browser_teach.py."""

from __future__ import annotations

import ast
import json
import threading
import time

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from convexviz import Architecture, fit
from convexviz.closed_forms import closed_forms
from convexviz.datasets import parse_csv
from convexviz.export import DOWNLOADS, file_name
from convexviz.features import fmt
from convexviz.theory import notes
from convexviz.ui import teach, wording
from tests.apptest import run, texts

OPT = {"pts": "0:0,4:0,5:0,7:2,10:3,11:3", "act": "relu", "depth": "4", "beta": "0.001"}
OPT_X, OPT_Y = [0, 4, 5, 7, 10, 11], [0, 0, 0, 2, 3, 3]


def elements(at: AppTest, kind: str) -> list:
    """Every element of one proto type in the page's tree (custom components included)."""

    def walk(node) -> list:
        found = [node] if getattr(node, "type", None) == kind else []
        children = getattr(node, "children", None)
        for child in children.values() if isinstance(children, dict) else []:
            found += walk(child)
        return found

    return walk(at._tree)


def figure_data(at: AppTest, key: str) -> dict:
    """The data the figure component with element key ``key`` was given."""
    (element,) = [e for e in elements(at, "bidi_component") if e.proto.id.endswith(f"-{key}")]
    return json.loads(element.proto.json)


def shown_alternative(at: AppTest) -> str:
    """The name in the selected alternative's caption (``**name**: ...``)."""
    (line,) = [m for m in texts(at.markdown) if "certified optimum" in m]
    return line.split("**")[1]


@pytest.fixture(scope="module")
def opt_result():
    return fit(OPT_X, OPT_Y, Architecture("relu", 4), 1e-3)


@pytest.fixture(scope="module")
def opt_app() -> AppTest:
    return run(OPT)


# ---------------------------------------------------------------- every optimal network
def test_depth_4_opt_lists_the_optima_and_says_why(opt_app, opt_result):
    at = opt_app
    assert not at.exception and not at.error
    assert "Every optimal network" in texts(at.subheader)
    found = teach.optima(opt_result)
    control = at.button_group(key="w_optimum")
    assert list(control.options) == list(found.names)
    assert {"sparsest", "fewest reflections"} <= set(found.names)
    assert control.value == "sparsest"
    assert any(m.startswith("Not unique:") and m == found.reason for m in texts(at.markdown))
    assert wording.OPTIMA_TEXT in texts(at.caption)
    # The shown objective equals the certified optimum to 8 digits, and both are shown.
    sparsest = found.alternatives[0]
    line = next(m for m in texts(at.markdown) if "certified optimum" in m)
    assert f"**{sparsest.objective:.8g}**" in line
    assert f"**{opt_result.lasso.objective:.8g}**" in line
    assert f"{sparsest.objective:.8g}" == f"{opt_result.lasso.objective:.8g}"
    figure = json.loads(figure_data(at, "alternatives")["figure"])
    names = [t["name"] for t in figure["data"]]
    assert sorted(names) == sorted([*found.names, "data"])
    assert figure["data"][-2]["name"] == "sparsest"  # the selected one drawn last, bold


def test_stepping_shows_another_network_and_survives_reruns(opt_result):
    at = run(OPT)
    found = teach.optima(opt_result)
    before = figure_data(at, "alternatives")["figure"]
    rows_before = at.dataframe[-1].value
    at.button_group(key="w_optimum").set_value("fewest reflections").run()
    assert not at.exception
    assert shown_alternative(at) == "fewest reflections"
    index, chosen = found.named("fewest reflections")
    assert chosen.n_reflections < found.alternatives[0].n_reflections
    rows = at.dataframe[-1].value
    assert list(rows["feature"]) == [f.label for f in chosen.features]
    assert not rows.equals(rows_before)
    figure = json.loads(figure_data(at, "alternatives")["figure"])
    assert figure != json.loads(before)
    bold = figure["data"][-2]
    assert bold["name"] == "fewest reflections"
    assert "fewest reflections" in figure["layout"]["title"]["text"]
    # An unrelated rerun (the dictionary toggle) keeps the choice.
    at.toggle(key="w_dict").set_value(True).run()
    assert shown_alternative(at) == "fewest reflections"
    assert at.button_group(key="w_optimum").value == "fewest reflections"


def test_new_data_keep_the_choice_if_it_exists_else_the_sparsest():
    at = run(OPT)
    at.button_group(key="w_optimum").set_value("fewest reflections").run()
    # Depth 3 on the same data: the optimum is unique, no control at all.
    at.select_slider(key="w_depth").set_value(3).run()
    assert not at.exception
    assert not at.button_group
    unique = teach.optima(fit(OPT_X, OPT_Y, Architecture("relu", 3), 1e-3))
    assert unique.unique and wording.unique_text(unique.reason) in texts(at.caption)
    # Back to depth 4: the remembered choice is there again.
    at.select_slider(key="w_depth").set_value(4).run()
    assert shown_alternative(at) == "fewest reflections"
    # A choice the new fit does not have falls back to the sparsest.
    last = at.button_group(key="w_optimum").options[-1]
    at.button_group(key="w_optimum").set_value(last).run()
    assert shown_alternative(at) == last
    at.select_slider(key="w_beta").set_value(0.01).run()
    new = teach.optima(fit(OPT_X, OPT_Y, Architecture("relu", 4), 0.01))
    assert shown_alternative(at) == teach.choose(new.names, last)
    assert teach.choose(("sparsest", "as fitted"), "other vertex 5") == "sparsest"


def test_optima_are_computed_once_per_fit(opt_result):
    again = fit(OPT_X, OPT_Y, Architecture("relu", 4), 1e-3)
    assert again is not opt_result
    assert teach.optima(again) is teach.optima(opt_result)
    other = fit(OPT_X, OPT_Y, Architecture("relu", 4), 2e-3)
    assert teach.optima(other) is not teach.optima(opt_result)


def test_memo_is_bounded_and_least_recently_used_goes_first():
    memo = teach.FitKeyedMemo(max_entries=2)
    results = [fit(OPT_X, OPT_Y, Architecture("relu", 2), b) for b in (1e-3, 2e-3, 3e-3)]
    calls = []

    def compute(r):
        calls.append(r.lasso.beta)
        return object()

    first = memo.get(results[0], compute)
    memo.get(results[1], compute)
    assert memo.get(results[0], compute) is first  # refreshed: results[1] is now oldest
    memo.get(results[2], compute)
    memo.get(results[1], compute)
    assert calls == [1e-3, 2e-3, 3e-3, 2e-3]
    with pytest.raises(ValueError, match="at least 1"):
        teach.FitKeyedMemo(0)


# ---------------------------------------------------------------- closed forms
def test_closed_forms_beside_the_solver_numbers(opt_app, opt_result):
    at = opt_app
    assert "Closed forms" in texts(at.subheader)
    lines = [m for m in texts(at.markdown) if "[PROVED-HERE] THEORY.md §7" in m]
    forms = closed_forms(opt_result)
    assert len(lines) == len(forms) == 2
    beta_max, limit = forms
    assert f"**β_max = {fmt(beta_max.value)}**" in lines[0]
    assert f"`{beta_max.formula}`" in lines[0]
    assert f"β_max = {fmt(opt_result.beta_max)}" in lines[0]
    assert beta_max.value == pytest.approx(opt_result.beta_max, rel=1e-9)
    ratio = opt_result.lasso.objective / opt_result.lasso.beta
    assert f"= {fmt(limit.value)}**" in lines[1]
    assert limit.formula.replace(", with", "`, with") in lines[1]
    assert f"objective / β now = {fmt(ratio)}" in lines[1]
    assert limit.value == pytest.approx(1.0)  # THEORY §7.2 on the 'opt' data
    assert wording.CLOSED_FORMS_NONE_TEXT not in texts(at.caption)


def test_no_claim_is_shown_twice(opt_app):
    """The theory notes are shown once (beside the Lasso); the panels add no copy of them
    and repeat no sentence of the page (e.g. the sidebar's β_max sentence)."""
    at = opt_app
    shown = [t for t in texts(at.markdown) + texts(at.caption) if t.strip()]
    assert len(shown) == len(set(shown))
    for note in notes("relu", 4):
        assert sum(note in t for t in shown) == 1
    for form in closed_forms(fit(OPT_X, OPT_Y, Architecture("relu", 4), 1e-3)):
        assert not any(form.meaning in t for t in shown)


def test_without_a_limit_formula_the_panel_says_so():
    at = run({**OPT, "act": "leaky_relu", "depth": "3"})
    assert not at.exception
    assert wording.CLOSED_FORMS_NONE_TEXT in texts(at.caption)
    assert len([m for m in texts(at.markdown) if "THEORY.md §7" in m]) == 1


# ---------------------------------------------------------------- the problem as code
def test_download_buttons_names_and_types(opt_app, opt_result):
    found = elements(opt_app, "download_button")
    buttons = {b.proto.id.rsplit("-", 1)[-1]: b.proto for b in found}
    assert set(buttons) == {"w_download_cvxpy", "w_download_json", "w_download_csv"}
    for spec in teach.downloads(opt_result):
        assert spec.key in buttons
        assert buttons[spec.key].deferred_file_id  # made when clicked, not on every run
    names = {s.key: (s.file_name, s.mime) for s in teach.downloads(opt_result)}
    for fmt_ in ("cvxpy", "json", "csv"):
        assert names[f"w_download_{fmt_}"] == (file_name(opt_result, fmt_), DOWNLOADS[fmt_].mime)
    assert names["w_download_cvxpy"][0] == "convexviz_relu_depth4_beta0.001.py"


def test_downloads_carry_the_right_content(opt_result):
    content = {s.key: s.content() for s in teach.downloads(opt_result)}
    script = content["w_download_cvxpy"]
    ast.parse(script)
    assert "import cvxpy" in script and "convexviz" not in script.split('"""', 2)[2]
    assert 'print("objective", float(problem.value))' in script
    data = json.loads(content["w_download_json"])
    assert data["objective"] == pytest.approx(opt_result.lasso.objective, rel=1e-12)
    assert len(data["network"]["units"]) == opt_result.network.n_neurons
    points = np.array(parse_csv(content["w_download_csv"]), dtype=float)
    np.testing.assert_array_equal(points[:, 0], opt_result.x)
    np.testing.assert_array_equal(points[:, 1], opt_result.y)


def test_the_script_is_shown_only_when_asked(opt_result):
    at = run(OPT)
    assert not at.code  # collapsed: the script is not even made
    at.session_state["w_script"] = True
    at.run()
    (code,) = at.code
    assert code.value == teach.script(opt_result).rstrip("\n")  # st.code drops the last \n
    assert code.language == "python"


def test_a_long_script_is_cut_on_the_page_only():
    text = "".join(f"line_{k} = {k}\n" for k in range(20_000))
    shown, cut = teach.shown_script(text)
    assert cut and len(shown) <= teach.MAX_SHOWN_SCRIPT_CHARS + 80
    assert text.startswith(shown.rsplit("# ...", 1)[0]) and shown.endswith("the rest)\n")
    assert teach.shown_script("x = 1\n") == ("x = 1\n", False)


def test_every_figure_gets_a_png_name(opt_app, opt_result):
    for key in ("features", "coefficients", "network", "alternatives"):
        data = figure_data(opt_app, key)
        assert data["png_name"] + ".png" == file_name(opt_result, "png", key)
    assert wording.PNG_TEXT in texts(opt_app.caption)


# ---------------------------------------------------------------- the search off the page
def abs_depth_4() -> dict[str, str]:
    """A large dictionary (abs depth 4 on 12 points: ~3,300 distinct features)."""
    from convexviz.datasets import random_points

    pts = ",".join(f"{x:g}:{y:g}" for x, y in random_points(12, 7))
    return {"pts": pts, "act": "abs", "depth": "4", "beta": "0.001"}


def test_a_large_dictionary_waits_to_be_asked_then_searches_off_the_page():
    at = run(abs_depth_4())
    assert not at.exception
    assert not at.button_group  # nothing searched unasked
    (ask,) = [b for b in at.button if b.key == "w_optima_ask"]
    assert any("starts only when you ask" in c for c in texts(at.caption))
    ask.click().run()
    assert not at.exception
    # The search runs off the page: later runs show it (polling does this in a browser).
    deadline = time.monotonic() + 60
    while not at.button_group and time.monotonic() < deadline:
        time.sleep(0.5)
        at.run()
    assert at.button_group, "the search never finished"
    assert wording.OPTIMA_SEARCHING_TEXT not in texts(at.info)


def test_a_slow_search_never_holds_the_page(monkeypatch):
    release = threading.Event()
    real = teach._optima

    def slow(result):
        release.wait(30)
        return real(result)

    monkeypatch.setattr(teach, "_optima", slow)
    params = {**OPT, "beta": "0.0007"}  # a fit no other test searched
    start = time.monotonic()
    at = run(params)
    assert time.monotonic() - start < 20
    assert wording.OPTIMA_SEARCHING_TEXT in texts(at.info)
    assert "Closed forms" in texts(at.subheader)  # the rest of the panels is there
    release.set()
    teach.optima_job(fit(OPT_X, OPT_Y, Architecture("relu", 4), 7e-4), start=False).result(30)
    at.run()
    assert wording.OPTIMA_SEARCHING_TEXT not in texts(at.info)
    assert at.button_group(key="w_optimum").value == "sparsest"
