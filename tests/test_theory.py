"""The theory table (convexviz.theory): complete, labelled, no claim twice, one source."""

from __future__ import annotations

import json

import numpy as np
import pytest

from convexviz import Architecture, build_dictionary, fit, theory
from convexviz.activations import ACTIVATIONS
from convexviz.architecture import MAX_DEPTH
from convexviz.cli import main
from convexviz.ui import wording

SUPPORTED = [(act, depth) for act, top in MAX_DEPTH.items() for depth in range(2, top + 1)]


def _label(note: str) -> str:
    return note[: note.index("]") + 1]


@pytest.mark.parametrize(("act", "depth"), SUPPORTED)
def test_every_supported_architecture_has_labelled_notes_each_once(act, depth):
    notes = theory.notes(act, depth)
    assert notes, f"no theory note for {act} depth {depth}"
    assert all(_label(n) in theory.LABELS for n in notes)
    assert all(n.count("[") == 1 for n in notes), "one status label per statement"
    assert len(set(notes)) == len(notes)
    sentences = [s.strip() for n in notes for s in n.split(". ") if s.strip()]
    assert len(set(sentences)) == len(sentences), "a claim appears twice"
    assert not any(field in n for n in notes for field in ("{act}", "{depth}", "{prev}"))


def test_every_label_is_used_and_unsupported_architectures_have_no_notes():
    used = {_label(n) for act, depth in SUPPORTED for n in theory.notes(act, depth)}
    assert used == set(theory.LABELS)
    assert theory.notes("leaky_relu", 3) == ()
    assert theory.notes("relu", MAX_DEPTH["relu"] + 1) == ()
    assert theory.notes("relu", 1) == ()
    assert theory.notes("tanh", 2) == ()


@pytest.mark.parametrize(("act", "depth"), SUPPORTED)
def test_dictionary_note_is_the_table(act, depth):
    d = build_dictionary([0.0, 1.0, 3.0], Architecture(act, depth))
    assert d.note == " ".join(theory.notes(act, depth))


def test_cli_note_is_the_table(capsys):
    code = main(["fit", "--points", "0,0 1,1 3,0 4,2", "--activation", "abs", "--depth", "4",
                 "--beta", "0.01", "--json"])  # fmt: skip
    out = json.loads(capsys.readouterr().out)
    assert code == 0 and out["note"] == " ".join(theory.notes("abs", 4))


@pytest.mark.parametrize("depth", [5, 6, MAX_DEPTH["relu"]])
def test_deep_relu_uses_the_depth4_dictionary_and_depth3_optimum(depth):
    """What the table states for ReLU depth >= 5, checked on the code: the depth-4 columns,
    padded into genuine depth-L chains, and the optimal value of depth 3."""
    rng = np.random.default_rng(depth)
    x = np.sort(rng.uniform(-2, 2, 6))
    y = rng.normal(size=6)
    grid = np.linspace(-3, 3, 41)
    d4 = build_dictionary(x, Architecture("relu", 4))
    deep = build_dictionary(x, Architecture("relu", depth))
    assert deep.columns.signs.shape == (d4.raw_size, depth - 1)
    np.testing.assert_allclose(deep.columns.evaluate(grid), d4.columns.evaluate(grid), atol=1e-12)
    np.testing.assert_array_equal(deep.representatives, d4.representatives)
    value3 = fit(x, y, Architecture("relu", 3), 0.05).lasso.objective
    value = fit(x, y, Architecture("relu", depth), 0.05).lasso.objective
    assert value == pytest.approx(value3, rel=1e-8)
    stated = " ".join(theory.notes("relu", depth))
    assert f"Depth {depth} uses the depth-4 dictionary" in stated
    assert "depth-3 dictionary" not in stated


def test_activation_titles_have_one_home():
    titles = [a.title for a in ACTIVATIONS.values()]
    assert len(set(titles)) == len(titles)
    assert ACTIVATIONS["abs"].title == "absolute value |u|"
    assert Architecture("abs", 3).title == "absolute value |u|, depth 3"
    assert not hasattr(wording, "ACTIVATION_TITLES") and not hasattr(wording, "theory_notes")
