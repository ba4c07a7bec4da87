"""The problem as code: a fit as a standalone cvxpy script, as JSON and as CSV.

Every export is a pure function of a :class:`~convexviz.fit.FitResult` (or of the points):

=====================  ====================================================================
function               what a student or lecturer gets
=====================  ====================================================================
:func:`cvxpy_script`   a Python script that needs only numpy and cvxpy: the data, the
                       distinct dictionary ``A``, the Lasso
                       ``min 0.5 ||A z + xi 1 - y||^2 + beta ||z||_1`` solved with Clarabel;
                       its last printed line is ``objective <optimal value>``
:func:`fit_json`       ``fit --json``'s object plus the rebuilt network's weights
:func:`points_csv`     the points, header ``x,y``, exactly as
                       :func:`convexviz.datasets.parse_csv` reads them back
=====================  ====================================================================

The script is written for handing out, and it is safe to run whatever the user typed: the
only user-controlled inputs are numbers, written with ``repr`` of a Python ``float`` (which
reads back bit for bit), and the architecture, which
:class:`~convexviz.architecture.Architecture` has validated; feature labels only ever
appear in comments, reduced to printable ASCII on one line (:func:`comment_text`).

For download buttons, :data:`DOWNLOADS` gives each format's file extension and MIME type
and :func:`file_name` a descriptive name.

>>> from convexviz import Architecture, fit
>>> result = fit([0, 4, 5, 7, 10, 11], [0, 0, 0, 2, 3, 3], Architecture("relu", 3), 1e-3)
>>> feature = result.dictionary.feature(12)
>>> feature.label, feature_formula(feature)
('capped ramp 5 to 7', 'relu(2.0 - relu(x - 5.0))')
>>> points_csv([0, 0.5], [1, -2]).splitlines()
['x,y', '0.0,1.0', '0.5,-2.0']
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from .features import ChainFeature, Feature, PatternFeature, pattern_values
from .fit import FitResult
from .limits import MAX_POINTS
from .network import ChainUnit, Network, TreeNode, TreeUnit

#: A feature is written as a formula when its expression has at most this many characters;
#: longer ones (deep reflections with long offsets, patterns with many switches) as numbers.
MAX_FORMULA_CHARS = 79

#: The formats of ``python -m convexviz export --format ...``.
FORMATS = ("cvxpy", "json", "csv")


@dataclass(frozen=True)
class Download:
    """How a download button serves one format: file extension and MIME type."""

    extension: str
    mime: str


#: Every export format; ``png`` names the figures, which the browser itself saves as PNG
#: (Plotly.js draws them there; a server-side export would start a Chromium per image).
DOWNLOADS = {
    "cvxpy": Download("py", "text/x-python"),
    "json": Download("json", "application/json"),
    "csv": Download("csv", "text/csv"),
    "png": Download("png", "image/png"),
}

PAPER = (
    "E. Zeger, Y. Wang, A. Mishkin, T. Ergen, E. Candes, M. Pilanci.\n"
    "    A Library of Mirrors: Deep Neural Nets in Low Dimensions are Convex Lasso\n"
    "    Models with Reflection Features. arXiv:2403.01046."
)

#: How the activation is written inside a formula of ``x``.
_CALL = {"relu": "relu", "leaky_relu": "leaky_relu", "abs": "np.abs"}

#: Helper definitions a script needs for an activation (none for np.abs and the steps).
_HELPERS = {
    "relu": ('def relu(u):\n    """ReLU: max(u, 0)."""\n    return np.maximum(u, 0.0)\n'),
    "leaky_relu": (
        "def leaky_relu(u):\n"
        '    """Leaky ReLU: u where u >= 0, leak * u below."""\n'
        "    return np.where(u >= 0.0, u, leak * u)\n"
    ),
}

_NAMES = {
    "relu": "ReLU",
    "leaky_relu": "leaky ReLU",
    "abs": "absolute-value",
    "sign": "sign",
    "threshold": "threshold",
}


# ----------------------------------------------------------------------------------------
# Numbers, comments and formulas


def float_literal(value: float) -> str:
    """``repr`` of a finite Python float: a literal that reads back bit for bit.

    Raises
    ------
    ValueError
        For NaN or infinity, which have no literal (``nan`` would be a name).
    """
    number = float(value)
    if not np.isfinite(number):
        raise ValueError(f"cannot write the non-finite number {number!r} into a script")
    return repr(number)


def comment_text(text: str) -> str:
    """``text`` made safe for a ``#`` comment: printable ASCII on a single line.

    Every other character (line breaks of any kind, control characters, non-ASCII) becomes
    a space, so nothing after the ``#`` can start a new statement.
    """
    return "".join(ch if " " <= ch <= "~" else " " for ch in text).strip()


def _minus(g: str, c: float) -> str:
    """``g - c`` as code; ``g + |c|`` for negative ``c`` (the same float in IEEE arithmetic)."""
    if c == 0:
        return g
    if c < 0:
        return f"{g} + {float_literal(-c)}"
    return f"{g} - {float_literal(c)}"


def _reverse_minus(c: float, g: str) -> str:
    """``c - g`` as code, which is exactly ``-(g - c)`` in floating point."""
    return f"-{g}" if c == 0 else f"{float_literal(c)} - {g}"


def chain_formula(feature: ChainFeature) -> str:
    """The chain ``g_l = sigma(s_l (g_{l-1} - c_l))`` as a numpy expression in ``x``.

    Written layer by layer exactly as the dictionary evaluates it, so the expression gives
    the same floats: ``sigma(c - g)`` for ``s = -1`` (``c - g == -(g - c)`` exactly), ``|g -
    c|`` for ``abs`` whatever the sign. A layer ``relu(g - 0)`` or ``|g - 0|`` on a
    nonnegative ``g`` is the identity (the padding of deep ReLU chains) and is left out.
    Uses ``relu`` / ``leaky_relu`` (defined in the script) and ``np.abs``.
    """
    call = _CALL[feature.activation]
    g, nonnegative = "x", False
    for s, c in zip(feature.signs, feature.offsets, strict=True):
        if nonnegative and s > 0 and c == 0:
            continue
        inner = _minus(g, c) if s > 0 or feature.activation == "abs" else _reverse_minus(c, g)
        g = f"{call}({inner})"
        nonnegative = feature.activation in ("relu", "abs")
    return g


def pattern_formula(feature: PatternFeature) -> str:
    """A sign/threshold pattern as ``np.where(...)``: it flips at each switch ``t`` (``x >= t``).

    One switch: ``np.where(x >= t, after, before)``; several: the parity of the switches
    passed, ``(x >= t_1) ^ (x >= t_2) ^ ...``.
    """
    before = float(feature.first)
    after = float(pattern_values(feature.activation, before, np.array(1)))
    passed = " ^ ".join(f"(x >= {float_literal(t)})" for t in feature.switches)
    if len(feature.switches) == 1:
        passed = passed[1:-1]
    return f"np.where({passed}, {float_literal(after)}, {float_literal(before)})"


def feature_formula(feature: Feature) -> str | None:
    """A short numpy expression in ``x`` for ``feature``, or ``None`` if it would be long.

    The expression evaluates to the same floats as ``feature.evaluate(x)``
    (:func:`chain_formula`, :func:`pattern_formula`); it is returned only when it has at
    most :data:`MAX_FORMULA_CHARS` characters.
    """
    if isinstance(feature, PatternFeature):
        text = pattern_formula(feature)
    else:
        text = chain_formula(feature)
    return text if len(text) <= MAX_FORMULA_CHARS else None


def _array_literal(values: NDArray[np.float64], indent: str, room: int) -> str:
    """``np.array([...])`` of floats, on one line if it fits in ``room`` characters.

    Otherwise wrapped into lines of at most 88 characters below a line indented by
    ``indent``, the indentation of the line where the literal starts.
    """
    items = [float_literal(v) for v in values]
    one_line = f"np.array([{', '.join(items)}])"
    if len(one_line) <= room:
        return one_line
    inner = indent + "        "
    lines, line = [], ""
    for item in items:
        if line and len(inner) + len(line) + len(item) + 1 > 88:
            lines.append(line)
            line = ""
        line += f"{item}, "
    lines.append(line)
    body = "".join(f"{inner}{text.rstrip()}\n" for text in lines)
    return f"np.array(\n{indent}    [\n{body}{indent}    ]\n{indent})"


# ----------------------------------------------------------------------------------------
# The script


@dataclass(frozen=True)
class ScriptColumn:
    """One column of the script's dictionary: the code that builds it and its comment.

    ``code`` is a numpy expression in ``x`` (:func:`feature_formula`) or, when that would
    be long, the column's values on the data as an array literal; ``comment`` names the
    feature (index and label, made safe by :func:`comment_text`).
    """

    code: str
    comment: str
    is_formula: bool


def script_columns(result: FitResult) -> tuple[ScriptColumn, ...]:
    """The distinct dictionary of ``result`` as script columns, in the dictionary's order."""
    d = result.dictionary
    columns = []
    for k in range(d.size):
        feature = d.feature(k)
        formula = feature_formula(feature)
        comment = comment_text(f"{k}: {feature.label}")
        if formula is None:
            code = _array_literal(d.A[:, k], indent="        ", room=88 - len("        ,"))
            columns.append(ScriptColumn(code, comment, is_formula=False))
        else:
            columns.append(ScriptColumn(formula, comment, is_formula=True))
    return tuple(columns)


def _comment_lines(comment: str) -> str:
    """A column's comment as ``#`` lines of at most 88 characters (indented for ``A``)."""
    lines = textwrap.wrap(comment, 78, subsequent_indent="  ", break_on_hyphens=False) or [""]
    return "".join(f"        # {line}\n" for line in lines)


def _penalty_text(activation: str) -> str:
    """The network's weight decay, in words a script's reader can check (THEORY.md §1, §3)."""
    if activation in ("sign", "threshold"):
        return (
            f"Each neuron is a tree of {activation} units with output weight alpha and\n"
            "amplitude a (the top unit's scale); the penalty is (beta / 2) * (alpha^2 + a^2)\n"
            "per neuron (the weights inside the tree are scale-free and unpenalized)."
        )
    return (
        "Each neuron is a narrow chain h_l = act(w_l * h_(l-1) + b_l), h_0 = x, l = 1..L-1,\n"
        "with output weight alpha; the penalty is (beta / L) * (|w_1|^L + ... + |alpha|^L)\n"
        "per neuron (biases are free)."
    )


def _docstring(result: FitResult) -> str:
    arch = result.architecture
    d = result.dictionary
    name = _NAMES[arch.activation]
    shape = ""
    if arch.activation == "leaky_relu":
        shape = f"negative slope {float_literal(arch.leak)}"
    if arch.branching:
        shape = f"trees with branching {', '.join(str(m) for m in arch.branching)}"
    n = result.x.size
    if d.size == d.raw_size:
        distinct = f"A holds all {d.size} candidate features; they are distinct on the data.\n"
    else:
        distinct = (
            f"A holds the {d.size} of {d.raw_size} candidate features that are distinct on\n"
            "the data (each other one equals one of them up to a constant and a sign, so\n"
            "it cannot lower the optimum).\n"
        )
    return (
        f'"""Training a {name} network of depth {arch.depth} on {n} points, as a convex Lasso.\n'
        "\n"
        f"Network: a sum of neurons plus an offset; activation {name}, depth L = {arch.depth}"
        + (f"\n({shape}).\n" if shape else ".\n")
        + f"{_penalty_text(arch.activation)}\n"
        f"beta = {float_literal(result.lasso.beta)}; the {n} training points are in section 1.\n"
        "\n"
        "Training that network is the convex program\n"
        "\n"
        "    minimize over z, xi    0.5 * ||A z + xi - y||^2 + beta * ||z||_1\n"
        "\n"
        "where column k of A is candidate feature k (a neuron's output, weights normalized)\n"
        "on the data and xi is a free offset. The optimal values agree, and each nonzero z_k\n"
        "is one neuron of a globally optimal network.\n" + distinct + "\n"
        f"Paper: {PAPER}\n"
        "\n"
        "Written by convexviz; needs only numpy and cvxpy (with its default solver Clarabel).\n"
        'The last line printed is "objective <optimal value>".\n'
        '"""\n'
    )


def _answer_section(result: FitResult) -> str:
    """Section 4: print the selected features, the offset, and the objective (last)."""
    chosen = ", ".join(f"z[{a.index}] = {a.coef:+.6g}" for a in result.active_features)
    quoted = textwrap.wrap(comment_text(f"The app's network: {chosen or 'z = 0'}."), 86)
    return (
        "# 4. The answer. An interior-point solver returns a point inside the optimal set,\n"
        "# which can hold many networks (features equal on the data): small coefficients\n"
        "# may remain where the app shows its sparsest optimal network.\n"
        + "".join(f"# {line}\n" for line in quoted)
        + "# Printed: the ten features with the largest part |z_k| * (max - min of column k)\n"
        "# in the fit, among those above 0.1% of the largest and 1e-6 of the range of y.\n"
        "coefficients = np.asarray(z.value)\n"
        "parts = np.abs(coefficients) * np.ptp(A, axis=0)\n"
        "threshold = max(1e-3 * parts.max(), 1e-6 * np.ptp(y))\n"
        "order = np.argsort(-parts)\n"
        "selected = order[parts[order] > threshold]\n"
        'print(f"{selected.size} features carry the fit; the largest (see section 2):")\n'
        "for k in selected[:10]:\n"
        '    print(f"  z[{k}] = {coefficients[k]:+.6g}")\n'
        'print(f"offset xi = {float(xi.value):.6g}")\n'
        "if problem.status != cp.OPTIMAL:\n"
        '    print("note: Clarabel reports reduced accuracy")\n'
        'print("objective", float(problem.value))\n'
    )


def cvxpy_script(result: FitResult) -> str:
    """A standalone Python script (numpy + cvxpy only) that solves ``result``'s Lasso.

    The script lists the data as literal arrays, builds the distinct dictionary ``A`` on
    them (formulas where short, else the numbers, each column with a comment naming its
    feature), solves

    .. math:: \\min_{z, \\xi}\\ \\tfrac12 \\|A z + \\xi 1 - y\\|_2^2 + \\beta \\|z\\|_1

    with Clarabel, prints the selected features and, as its last line,
    ``objective <value>``: the optimum of ``result`` (to solver accuracy, ~1e-9 relative).

    Raises
    ------
    ValueError
        When the dictionary is empty (every feature is constant on the data, e.g. a single
        distinct input): there is no Lasso to write.
    """
    columns = script_columns(result)
    if not columns:
        raise ValueError(
            "no features to export: every feature is constant on the data "
            "(they need at least two clearly different x)"
        )
    arch = result.architecture
    parts = [_docstring(result), "import cvxpy as cp\nimport numpy as np\n"]
    data = (
        "# 1. The data: inputs x, targets y, and the strength beta of the penalty.\n"
        f"x = {_array_literal(result.x, indent='', room=88 - len('x = '))}\n"
        f"y = {_array_literal(result.y, indent='', room=88 - len('y = '))}\n"
        f"beta = {float_literal(result.lasso.beta)}\n"
    )
    if arch.activation == "leaky_relu":
        data += f"leak = {float_literal(arch.leak)}  # negative slope of the leaky ReLU\n"
    parts.append(data)
    dictionary = (
        "# 2. The dictionary: one column per feature that is distinct on the data.\n"
        "# Formulas where they are short, else the feature's values at x.\n"
    )
    if arch.activation in _HELPERS:
        dictionary += f"\n\n{_HELPERS[arch.activation]}\n\n"
    items = "".join(f"{_comment_lines(c.comment)}        {c.code},\n" for c in columns)
    dictionary += f"A = np.column_stack(\n    [\n{items}    ]\n)\n"
    parts.append(dictionary)
    parts.append(
        "# 3. The convex training problem: a Lasso with a free offset xi, solved by Clarabel\n"
        "# with tolerances tighter than its defaults (1e-8), so that the optimal value\n"
        "# matches the certified optimum of the app to about 1e-9.\n"
        "z = cp.Variable(A.shape[1])\n"
        "xi = cp.Variable()\n"
        "loss = 0.5 * cp.sum_squares(A @ z + xi - y)\n"
        "problem = cp.Problem(cp.Minimize(loss + beta * cp.norm1(z)))\n"
        "tight = dict(tol_gap_abs=1e-12, tol_gap_rel=1e-12, tol_feas=1e-12, tol_ktratio=1e-10)\n"
        "problem.solve(solver=cp.CLARABEL, **tight)\n"
        "if problem.status not in (cp.OPTIMAL, cp.OPTIMAL_INACCURATE):\n"
        '    raise SystemExit(f"Clarabel did not solve the Lasso: {problem.status}")\n'
    )
    parts.append(_answer_section(result))
    return "\n\n".join(parts)


# ----------------------------------------------------------------------------------------
# JSON


def _node_dict(node: TreeNode) -> dict:
    return {
        "weights": list(node.weights),
        "bias": node.bias,
        "children": [_node_dict(child) for child in node.children],
    }


def _unit_dict(unit: ChainUnit | TreeUnit, label: str) -> dict:
    if isinstance(unit, ChainUnit):
        return {
            "type": "chain",
            "feature": label,
            "weights": list(unit.weights),
            "biases": list(unit.biases),
            "alpha": unit.alpha,
        }
    return {
        "type": "tree",
        "feature": label,
        "amplitude": unit.amplitude,
        "alpha": unit.alpha,
        "top": _node_dict(unit.top),
    }


#: How to evaluate the ``network`` object of :func:`fit_json` (it travels with the JSON).
FORWARD_RULE = (
    "f(x) = bias + sum of units(x). chain: h = x; for each layer h = act(w * h + b); "
    "unit = alpha * h. tree: node(x) = act(sum_i weights[i] * child_i(x) + bias), a leaf "
    "(no children) = act(weights[0] * x + bias); unit = alpha * amplitude * top(x). act: "
    "relu max(u, 0); leaky_relu u if u >= 0 else leak * u; abs |u|; sign 1 if u >= 0 else "
    "-1; threshold 1 if u >= 0 else 0."
)


def network_dict(network: Network, labels: Sequence[str]) -> dict:
    """The weights of ``network`` as plain JSON data, one entry per unit.

    Chains list ``weights`` ``w_l``, ``biases`` ``b_l`` and the output weight ``alpha``;
    sign/threshold trees the penalized ``amplitude`` and ``alpha`` and the whole ``top``
    node (weights, bias, children), so that :data:`FORWARD_RULE` rebuilds the predictions
    from the JSON alone. ``labels[k]`` names unit ``k``'s feature.
    """
    arch = network.architecture
    out = {
        "activation": arch.activation,
        "depth": arch.depth,
        "bias": float(network.bias),
        "forward": FORWARD_RULE,
        "units": [_unit_dict(u, label) for u, label in zip(network.units, labels, strict=True)],
    }
    if arch.activation == "leaky_relu":
        out["leak"] = arch.leak
    return out


def result_to_dict(result: FitResult, grid: np.ndarray | None = None) -> dict:
    """The JSON object of DESIGN.md §5 for one fit."""
    arch = result.architecture
    out = {
        "activation": arch.activation,
        "depth": arch.depth,
        "beta": result.lasso.beta,
        "n_points": int(result.x.size),
        "dictionary": {"raw_size": result.dictionary.raw_size, "size": result.dictionary.size},
        "objective": result.lasso.objective,
        "network_objective": result.network_objective,
        "bias": result.lasso.bias,
        "status": result.lasso.status,
        "solver": result.lasso.solver,
        "certificate": {"duality_gap": result.certificate_gap},
        "n_neurons": result.network.n_neurons,
        "beta_max": result.beta_max,
        "features": [
            {
                "kind": a.feature.kind,
                "coef": a.coef,
                "breakpoints": list(a.feature.breakpoints),
                "label": a.feature.label,
                "ties": a.n_ties,
            }
            for a in result.active_features
        ],
        "timings_ms": result.timings_ms,
    }
    if arch.activation == "leaky_relu":
        out["leak"] = arch.leak
    if arch.branching:
        out["branching"] = list(arch.branching)
    if result.dictionary.note:
        out["note"] = result.dictionary.note
    if result.lasso.message:
        out["message"] = result.lasso.message
    if grid is not None:
        out["predict"] = {"x": grid.tolist(), "y": result.predict(grid).tolist()}
    return out


def fit_json(result: FitResult) -> dict:
    """``fit --json``'s object (:func:`result_to_dict`) plus ``network``.

    ``network`` (:func:`network_dict`) holds the rebuilt network's weights: unit ``k``
    realizes ``features[k]`` with the coefficient ``coef``, and its forward pass
    (:data:`FORWARD_RULE`) plus the offset ``bias`` equals the fitted curve everywhere.
    """
    out = result_to_dict(result)
    labels = [a.feature.label for a in result.active_features]
    out["network"] = network_dict(result.network, labels)
    return out


# ----------------------------------------------------------------------------------------
# CSV


def points_csv(x: object, y: object) -> str:
    """The points as CSV text: a header ``x,y``, then one ``x,y`` row per point.

    Numbers are written with ``repr``, so :func:`convexviz.datasets.parse_csv` reads back
    exactly the same floats, in the same order.

    Raises
    ------
    ValueError
        Empty, mismatched, non-finite, or more than :data:`~convexviz.limits.MAX_POINTS`
        points (which ``parse_csv`` would refuse).
    """
    x_arr = np.asarray(x, dtype=float)
    y_arr = np.asarray(y, dtype=float)
    if x_arr.ndim != 1 or x_arr.shape != y_arr.shape:
        raise ValueError(f"x and y must be 1-D of equal length, got {x_arr.shape}, {y_arr.shape}")
    if not 1 <= x_arr.size <= MAX_POINTS:
        raise ValueError(f"need 1 to {MAX_POINTS} points, got {x_arr.size}")
    rows = [f"{float_literal(a)},{float_literal(b)}" for a, b in zip(x_arr, y_arr, strict=True)]
    return "x,y\n" + "".join(row + "\n" for row in rows)


# ----------------------------------------------------------------------------------------
# File names and PNG


def file_name(result: FitResult, fmt: str, what: str = "") -> str:
    """A descriptive download name, e.g. ``convexviz_relu_depth3_beta0.001.py``.

    ``fmt`` is a key of :data:`DOWNLOADS`; ``what`` (letters, digits, ``_`` and ``-`` are
    kept) names the figure of a PNG, e.g. ``"fit"``. The points' CSV name has no beta.
    """
    arch = result.architecture
    stem = f"convexviz_{arch.activation}_depth{arch.depth}"
    if fmt != "csv":
        stem += f"_beta{result.lasso.beta:g}"
    label = "".join(ch for ch in what if ch.isascii() and (ch.isalnum() or ch in "_-"))
    if label:
        stem += f"_{label}"
    return f"{stem}.{DOWNLOADS[fmt].extension}"
