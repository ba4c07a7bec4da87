"""What the plane page shows besides its figure, as plain data: captions, numbers, sentences.

``app.py``'s ``plane_page`` turns these into widgets and Markdown; keeping them here keeps the
page a thin wiring layer and lets the wording be tested without Streamlit. The mathematics is
THEORY_2D.md's; its status labels (``[PROVED for m >= m*]``, ``[PROVED]``) are shown as there.
"""

from __future__ import annotations

from urllib.parse import urlencode

import numpy as np

from ..datasets2d import PLANE_PRESETS, is_classes, line_coordinates
from ..patterns2d import cover_count
from ..plane import PlaneFit
from .plane_state import PlanePoints
from .state import format_number, format_points
from .wording import format_beta

TITLE = "The plane: a two-layer ReLU network, trained exactly"

INTRO_TEXT = (
    "Click empty space to add a point with the label chosen in the sidebar, click a point to "
    "delete it, drag a point to move it. The network "
    "f(x) = Σⱼ αⱼ relu(wⱼ · x + bⱼ) + ξ is trained *exactly*: its training problem is a convex "
    "program over the ways a line can cut the points in two (activation patterns), solved to "
    "its global optimum and certified against networks of any width."
)

#: The convex program of THEORY_2D §3, for ``st.latex``.
PROGRAM_LATEX = (
    r"\begin{aligned}\min_{u_p,\,v_p,\,\xi}\ "
    r"&\tfrac12\Bigl\|\sum_p D_p \tilde X (u_p - v_p) + \xi\mathbf 1 - y\Bigr\|_2^2"
    r" + \beta \sum_p \bigl(\|u_p^{w}\|_2 + \|v_p^{w}\|_2\bigr)"
    r"\\ \text{s.t.}\ &(2D_p - I)\tilde X u_p \ge 0,\quad (2D_p - I)\tilde X v_p \ge 0"
    r"\end{aligned}"
)

SYMBOLS_TEXT = (
    "X̃: the points with a column of ones (x₁, x₂, 1). D_p: one activation pattern, the points "
    "on the active side of a line. u_p, v_p: a neuron of positive / negative output weight "
    "for that pattern (its weight part u^w is penalized, its bias is free, as in the 1-D page). "
    "The constraints, for every pattern p, make each u_p really produce pattern D_p. "
    "Training loss: squared error plus (β/2) Σⱼ (|wⱼ|² + αⱼ²); for two classes y = ±1 and "
    "the decision is the sign of f."
)

#: THEORY_2D's status of the program's equality with training (shown beside the verdict).
PROGRAM_LABEL = "[PROVED for m ≥ m*]"
CERTIFICATE_LABEL = "[PROVED]"

FIGURE_TEXT = (
    "Colour: the network's output f(x) (for two classes, blue f < 0 and orange f > 0, the "
    "black decision line f = 0). Each coloured line is one neuron's line w · x + b = 0, its "
    "arrow pointing to the side where the neuron is active, labelled with its weight |α| |w|; "
    "ringed points lie on a neuron's line. Dotted grey: the worst line of the certificate, "
    "where a new neuron would enter first."
)


def label_text(label: float) -> str:
    """What a click adds, in words: ``class +1``, ``class −1`` or ``value 0.5``."""
    if label in (1.0, -1.0):
        return f"class {'+1' if label > 0 else '−1'}"
    return f"value {format_number(label)}"


def pattern_text(fit: PlaneFit) -> str:
    """How many patterns the points have, against Cover's count, and how many the optimum uses.

    ``N^2 - N + 1`` nonzero patterns exactly when no three points lie on a line; fewer when
    some do (or two points share a location).
    """
    n = len(fit.points)
    cover = cover_count(n)
    if fit.pattern_count == cover:
        count = (
            f"**{fit.pattern_count:,} activation patterns** (ways a line cuts the {n} points; "
            f"N² − N + 1 = {cover:,}, since no three points lie on one line)"
        )
    else:
        count = (
            f"**{fit.pattern_count:,} activation patterns** (ways a line cuts the {n} points), "
            f"fewer than N² − N + 1 = {cover:,}: some three points lie on one line"
            f"{' or share a location' if _repeated_locations(fit.points) else ''}"
        )
    used, width = fit.patterns_used, fit.network.width
    neurons = f"{width} neuron{'s' * (width != 1)}"
    if width > used:
        neurons += " (a pattern can carry one neuron of each sign)"
    return f"{count}. The optimum uses **{used}** of them (at most N + 1 = {n + 1}): {neurons}."


def _repeated_locations(points: np.ndarray) -> bool:
    return len(np.unique(np.asarray(points), axis=0)) < len(points)


def is_certified(fit: PlaneFit) -> bool:
    """The engine's verdict: the duality gap is below its tolerance (``status == "optimal"``)."""
    return fit.status == "optimal"


def status_text(fit: PlaneFit) -> str:
    """The verdict with THEORY_2D's labels: certified optimal for every width, or not."""
    width = fit.network.width
    timing = fit.timings_ms.get("total", 0.0)
    if is_certified(fit):
        return (
            f"Certified optimal {PROGRAM_LABEL}: no two-layer ReLU network of any width has a "
            f"lower objective (gap {fit.duality_gap:.1e}). Rebuilt with {width} "
            f"neuron{'s' * (width != 1)}; solved in {timing:.0f} ms."
        )
    return (
        f"Not certified: the duality gap {fit.duality_gap:.2e} is above the tolerance; the "
        f"network shown ({width} neurons) may be slightly off the optimum."
    )


def objectives_table(fit: PlaneFit) -> str:
    """The numbers of the fit as a Markdown table (objective, network, bound, worst line)."""
    cert = fit.certificate
    worst = cert.worst_line
    rows = [
        ("Convex program's optimum", f"{fit.objective:.6g}"),
        ("Rebuilt network's objective", f"{fit.network_objective:.6g}"),
        ("Lower bound, any width (dual)", f"{cert.dual:.6g}"),
        ("Duality gap", f"{fit.duality_gap:.2e}"),
        ("Worst line: M(r) vs β", f"{worst.magnitude:.4g} vs {format_beta(fit.beta)}"),
    ]
    body = "\n".join(f"| {name} | {value} |" for name, value in rows)
    return f"| Quantity | Value |\n|---|---|\n{body}"


def certificate_text(fit: PlaneFit) -> str:
    """What the worst line certifies, in words."""
    worst = fit.certificate.worst_line
    return (
        f"Certificate {CERTIFICATE_LABEL}: the worst line {line_equation(worst.w, worst.b)} "
        "is where a new neuron would help most; its score "
        f"M(r) = |Σₙ rₙ relu(w · xₙ + b)| = {worst.magnitude:.4g} is at most β = "
        f"{format_beta(fit.beta)} (up to rounding), so no neuron anywhere lowers the "
        "objective, and the dual value bounds every network of any width from below."
    )


def line_equation(w: tuple[float, float], b: float) -> str:
    """``w1 x₁ + w2 x₂ + b = 0`` with signs written once.

    >>> line_equation((0.993, -0.119), 0.168), line_equation((-1.0, 0.0), -2.5)
    ('0.993 x₁ − 0.119 x₂ + 0.168 = 0', '−1 x₁ + 0 x₂ − 2.5 = 0')
    """

    def term(value: float, name: str, first: bool) -> str:
        sign = "−" if value < 0 else ("" if first else "+")
        text = f"{abs(value):.3g}{name}"
        return f"{sign}{text}" if first else f" {sign} {text}"

    return term(w[0], " x₁", True) + term(w[1], " x₂", False) + term(b, "", False) + " = 0"


def task_text(points: PlanePoints) -> str:
    """Two classes or regression, in words."""
    if is_classes([p[2] for p in points]):
        return "Two classes (y = ±1, squared loss): the decision is the sign of f."
    return "Regression: the targets y are values, shown as colours."


def neuron_rows(fit: PlaneFit) -> list[dict[str, float]]:
    """One row per neuron: ``w1, w2, b, alpha`` and its weight ``|alpha| |w|``."""
    net = fit.network
    weight = np.abs(net.alphas) * np.linalg.norm(net.weights, axis=1)
    return [
        {
            "neuron": j + 1,
            "w₁": float(net.weights[j, 0]),
            "w₂": float(net.weights[j, 1]),
            "b": float(net.biases[j]),
            "α": float(net.alphas[j]),
            "|α| |w|": float(weight[j]),
        }
        for j in np.argsort(-weight)
    ]


def preset_text(name: str) -> str:
    """The preset's title and description (empty for no preset)."""
    preset = PLANE_PRESETS.get(name)
    return f"Data set {preset.title}: {preset.description}" if preset else ""


def line_lesson_link(points: PlanePoints, beta: float) -> str | None:
    """A link to the 1-D page with the same data when all points lie on one line, else None.

    The 1-D data are the positions ``t`` along the line (:func:`datasets2d.line_coordinates`)
    with the same targets; on collinear points the plane's optimum equals the 1-D two-layer
    ReLU optimum (depth 2) at the same ``beta``. The link is relative to the plane page.
    """
    if len(points) < 2:
        return None
    xy = np.array([(p[0], p[1]) for p in points], dtype=float)
    t = line_coordinates(xy)
    if t is None:
        return None
    pairs = tuple((float(v), float(p[2])) for v, p in zip(np.round(t, 9), points, strict=True))
    pairs = tuple(sorted(set(pairs)))
    query = {"pts": format_points(pairs), "act": "relu", "depth": "2"}
    query["beta"] = format_number(beta)
    return "./?" + urlencode(query, safe=":,")


def line_text(link: str) -> str:
    """The sentence beside collinear data, with the link to the same lesson in 1-D."""
    return (
        "All points lie on one line: the network restricted to the line is a 1-D ReLU network, "
        "and the optimum here equals the 1-D two-layer ReLU optimum of the same data and β "
        f"(positions along the line as x). [Open the same lesson on the 1-D page]({link})."
    )
