"""What the app shows besides figures, as plain data: slider values, captions, text.

``app.py`` turns these into widgets and Markdown; keeping them here keeps the app a thin
wiring layer and lets the wording be tested without Streamlit. The theory notes live in
:mod:`convexviz.theory`, the activations' titles in :data:`convexviz.activations.ACTIVATIONS`.
"""

from __future__ import annotations

import math

from ..architecture import MAX_DEPTH, Architecture
from ..cost import refusal
from ..features import fmt
from ..limits import DEFAULT_LEAK

#: Depths offered by the depth slider (unsupported ones explain themselves).
DEPTHS = tuple(range(2, max(MAX_DEPTH.values()) + 1))

#: The Lasso every architecture reduces to (THEORY.md §1), for ``st.latex``.
LASSO_LATEX = (
    r"\min_{z,\,\xi}\ \tfrac12\,\bigl\|A z + \xi\,\mathbf 1 - y\bigr\|_2^2"
    r" + \beta\,\|z\|_1"
)

#: Smallest beta the slider offers (relative to nothing: beta is in units of y^2).
BETA_FLOOR = 1e-5


def architecture_problem(activation: str, depth: int, leak: float = DEFAULT_LEAK) -> str:
    """Why ``(activation, depth)`` cannot be fitted, or ``""`` if it can."""
    try:
        Architecture(activation, depth, leak)
    except ValueError as err:
        return str(err)
    return ""


def beta_options(beta_max: float, current: float) -> list[float]:
    """Log-spaced 'nice' values 1, 2, 5 x 10^k from ``BETA_FLOOR`` up to ``beta_max``.

    The list ends at the first nice value >= ``beta_max`` (above it the optimal network
    is constant) and always contains ``current`` so a linked beta is kept exactly.

    >>> beta_options(0.3, 1e-3)[-3:], 1e-3 in beta_options(0.3, 1e-3)
    ([0.1, 0.2, 0.5], True)
    """
    top = max(float(beta_max), BETA_FLOOR) if math.isfinite(beta_max) else 1.0
    values = []
    k = math.floor(math.log10(BETA_FLOOR))
    while True:
        for m in (1, 2, 5):
            v = float(f"{m}e{k}")
            if v >= BETA_FLOOR:
                values.append(v)
            if v >= top:
                return sorted(set(values) | {float(current)})
        k += 1


def format_beta(beta: float) -> str:
    """Short text for a beta value: ``0.001``, ``2e-05``, ``0.3``."""
    return f"{beta:.3g}" if beta >= 1e-3 else f"{beta:.0e}".replace("e-0", "e-")


#: A duality gap at most this fraction of the objective certifies the fit on screen.
CERTIFIED_RTOL = 1e-4

#: Plain words for the solvers a fit may come from (never their code names).
SOLVER_WORDS = {
    "FAST": "the built-in interior-point method",
    "CLARABEL": "cvxpy with the Clarabel solver",
    "SCS": "cvxpy with the SCS solver",
    "closed form": "a closed form (only constant features)",
}


def is_certified(result: object) -> bool:
    """Whether the solver says optimal and the duality gap is within ``CERTIFIED_RTOL``."""
    lasso = result.lasso
    rel = result.certificate_gap / max(abs(lasso.objective), 1e-12)
    return lasso.status == "optimal" and rel <= CERTIFIED_RTOL


def status_line(result: object, n_points: int) -> str:
    """One line for students: points, neurons, whether the fit is certified, time taken.

    No solver code names: "certified optimal" means the duality gap over every candidate
    feature proves that no network of this architecture has a lower training objective.
    """
    n = result.network.n_neurons
    verdict = "certified optimal" if is_certified(result) else "NOT certified optimal"
    ms = result.timings_ms.get("total", 0.0)
    return f"{n_points} points · {n} neuron{'s' * (n != 1)} · {verdict} · solved in {ms:.0f} ms"


def certificate_text(gap: float, objective: float) -> str:
    """Plain words for the duality gap: how far from optimal the Lasso solution can be."""
    rel = gap / max(abs(objective), 1e-12)
    return (
        f"Duality gap {fmt(gap)} ({fmt(100 * rel)} % of the objective): the Lasso optimum, and "
        "with it every network of this architecture, is at most this much below the fit shown."
    )


def objectives_table(result: object) -> str:
    """The Lasso optimum and the rebuilt network's objective side by side (Markdown, 8 digits:
    fewer would round a 1e-16 difference into a visible one)."""
    return (
        "| objective | value |\n|---|---|\n"
        f"| Lasso optimum | **{result.lasso.objective:.8g}** |\n"
        f"| rebuilt network | **{result.network_objective:.8g}** |"
    )


def dictionary_text(dictionary: object) -> str:
    """How many candidate features there are, and how many differ on the data."""
    return (
        f"Dictionary: {dictionary.raw_size:,} candidate features, "
        f"{dictionary.size:,} distinct on the data."
    )


def solver_note(lasso: object) -> str:
    """What a student should know about how the fit was solved, or ``""`` if nothing.

    Said only when something unusual happened: the default solver failed and another one
    took over, or the solver reported limited accuracy.
    """
    notes = []
    if lasso.message and lasso.solver in SOLVER_WORDS and lasso.solver != "FAST":
        notes.append(
            f"Solved by {SOLVER_WORDS[lasso.solver]}: {SOLVER_WORDS['FAST']} did not reach a "
            "certified answer on these data."
        )
    if lasso.status != "optimal":
        notes.append(f"The solver reported limited accuracy ({lasso.status.replace('_', ' ')}).")
    return " ".join(notes)


INTRO_TEXT = (
    "Click the plot to add a point, click a point to delete it, drag a point to move it. The "
    "fit is the exact optimum of the training problem, not a trained guess."
)
SYMBOLS_TEXT = (
    "A: the dictionary's features at the data; z: one coefficient per feature; ξ: the output "
    "offset. Every nonzero z_i becomes one neuron."
)
FEATURES_TEXT = (
    "Each curve is one selected feature times its coefficient, z_i φ_i(x); the network is "
    "their sum plus ξ. Kinds: ramp, capped ramp, vee, reflection, midpoint, step, multistep. "
    "A reflection's break is a data point mirrored at another one (arrow on the x axis)."
)
COEFFICIENTS_TEXT = (
    "The Lasso's β‖z‖₁ makes z sparse: only a few of the candidate features get a nonzero "
    "weight. Larger β, fewer features, a simpler network."
)
NETWORK_TEXT = (
    "Each nonzero z_i is rebuilt as one parallel unit with the weights shown; its weight "
    "penalty equals β|z_i|, so the network's regularized training loss equals the Lasso "
    "optimum: no trained network of this architecture can do better."
)


def preset_title(name: str) -> str:
    """The on-screen title of a preset (a module-level function: widgets pickle it)."""
    from ..datasets import PRESETS

    return PRESETS[name].title if name in PRESETS else name


def neuron_rows(result: object) -> list[dict[str, str]]:
    """One row per rebuilt unit: its feature, the Lasso coefficient and every weight.

    Chain units list ``w_l`` and ``b_l`` per hidden layer and the output weight ``alpha``;
    sign/threshold trees list the penalized amplitude ``a`` and ``alpha`` (the weights
    inside the tree are free and shown in the network diagram's hover text).
    """
    rows = []
    for k, (active, unit) in enumerate(
        zip(result.active_features, result.network.units, strict=True), start=1
    ):
        row = {"neuron": str(k), "feature": active.feature.label, "z": fmt(active.coef)}
        if hasattr(unit, "weights"):
            row["weights w"] = ", ".join(fmt(w) for w in unit.weights)
            row["biases b"] = ", ".join(fmt(b) for b in unit.biases)
        else:
            row["weights w"] = f"amplitude a = {fmt(unit.amplitude)}"
            row["biases b"] = "(inside the tree)"
        row["output α"] = fmt(unit.alpha)
        rows.append(row)
    return rows


def fit_problem(state: object) -> str:
    """Why the app state cannot be fitted, or ``""``: an unsupported network, too few
    points, or a fit too large to solve live (:func:`convexviz.cost.refusal`, decided
    before any work from the architecture and the number of distinct x)."""
    if problem := architecture_problem(state.activation, state.depth, state.leak):
        return problem
    n_distinct = len({x for x, _ in state.points})
    if n_distinct < 2:
        return "Add at least two points with different x to fit a network."
    try:
        architecture = Architecture(state.activation, state.depth, state.leak, state.branching)
    except ValueError as err:  # e.g. a branching that does not match the depth
        return str(err)
    if too_large := refusal(architecture, n_distinct):
        return f"No fit: {too_large}."
    return ""


# ---------------------------------------------------------------- teaching panels (issue 8)
OPTIMA_UNIQUE_TEXT = "Only one network is optimal here"
OPTIMA_TEXT = (
    "All of these networks are optimal: the same values at the training points, the same "
    "objective, yet different curves between and beyond the points (deeper networks add "
    "such alternatives, e.g. a reflection neuron instead of two capped ramps). The selected "
    "one is drawn bold, the others grey."
)
CLOSED_FORMS_TEXT = (
    "Two numbers follow from the data alone, without the solver (THEORY.md §7): β_max, and "
    "the limit of objective / β as β → 0, the smallest ‖z‖₁ of a network through every "
    "point. The solver's numbers must agree: β_max exactly, objective / β more and more "
    "closely as β shrinks."
)
CLOSED_FORMS_NONE_TEXT = (
    "THEORY.md gives no closed form for the β → 0 limit of this architecture (or the data "
    "repeat an x)."
)
CODE_TEXT = (
    "The same convex problem as a standalone Python script: it needs only numpy and cvxpy, "
    "builds the dictionary on your points, solves the Lasso with Clarabel and prints "
    "`objective <value>` as its last line, the optimum shown above."
)
PNG_TEXT = (
    "Every figure saves itself as PNG: hover it and click the camera icon in its toolbar "
    "(top right)."
)
OPTIMA_SEARCHING_TEXT = "Looking for every optimal network (LPs over the optimal face)…"


def optima_ask_text(n_features: int) -> str:
    """Why the search for every optimal network waits to be asked."""
    return (
        f"{n_features:,} distinct features: looking for every optimal network among them "
        "takes from seconds to a minute, so it starts only when you ask."
    )


def unique_text(reason: str) -> str:
    """The uniqueness proof of :func:`convexviz.optimal_set.is_unique` as one sentence.

    >>> unique_text("Unique: one feature fits.")
    'Only one network is optimal here: one feature fits.'
    """
    return f"{OPTIMA_UNIQUE_TEXT}: {reason.removeprefix('Unique: ')}"


# ---------------------------------------------------------------- a full server (issue 10)
#: What a canvas shows while a fit takes longer than a moment (a large plane fit: ~1 s at 50).
PREVIEW_SOLVING_TEXT = "Solving for the certified optimum…"
#: What a canvas shows while the preview route answers "busy" (it asks again by itself).
PREVIEW_BUSY_TEXT = "The server is busy: your edit is kept, asking again…"
BUSY_TEXT = (
    "The server is busy with other students' fits right now. Your points are kept: change "
    "anything (or wait a moment and click) to try again."
)
