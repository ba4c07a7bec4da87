"""Closed forms beside the numbers: ``beta_max`` and the ``beta -> 0`` limit (THEORY.md §7).

Plain data for the app and the command line: each :class:`ClosedForm` has a name, the
formula as text, its value on the user's data, the status label of the spec it comes from
and the section. The values are computed from the data alone (not from the solver), so
they check the numbers the solver shows.

* ``beta_max`` (§7.1, [PROVED-HERE]): for ``beta >= beta_max = max_i |a_ic^T (y - ybar)|``
  (``a_ic``: centred column ``i``) the flat line ``y = ybar`` is optimal. For the families
  with explicit columns the maximum runs over them directly: ramps ``sigma(s (x - x_j))``
  (two layers, §2), capped ramps between data points (deep narrow ReLU, §4.3), steps at the
  gaps (sign / threshold, two layers, §3); otherwise over the dictionary's columns.
* the ``beta -> 0`` limit (§7.2, [PROVED-HERE]): ``objective / beta`` tends to the smallest
  ``||z||_1`` of an exact interpolant, a function of the secant slopes
  ``d_k = (y_(k+1) - y_(k)) / (x_(k+1) - x_(k))`` and ``T = sum_k |d_(k+1) - d_k|``
  (distinct inputs only; THEORY.md gives it for five architectures).

>>> from convexviz import Architecture
>>> form = min_l1_interpolation([0, 4, 5, 7, 10, 11], [0, 0, 0, 2, 3, 3], Architecture("relu", 4))
>>> form.label, round(form.value, 12)
('[PROVED-HERE]', 1.0)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from .activations import get_activation
from .architecture import Architecture
from .dictionary import Dictionary, validate_inputs
from .features import fmt
from .fit import FitResult


@dataclass(frozen=True)
class ClosedForm:
    """One closed form with its value on the data.

    Attributes
    ----------
    name : str
        What it is (``β_max``, ``β → 0 limit``).
    formula : str
        The formula, in the app's notation.
    value : float
        Its value on the data.
    label : str
        The spec's status label (one of :data:`convexviz.theory.LABELS`).
    source : str
        Where the spec states it (``THEORY.md §7.1``).
    meaning : str
        One sentence: what the value says about the fit.
    """

    name: str
    formula: str
    value: float
    label: str
    source: str
    meaning: str

    @property
    def text(self) -> str:
        """One line: ``[LABEL] name = formula = value. meaning (source)``."""
        return (
            f"{self.label} {self.name} = {self.formula} = {fmt(self.value)}. "
            f"{self.meaning} ({self.source})"
        )


def _centred(y: NDArray) -> NDArray:
    return y - y.mean()


def _beta_max_ramps(x: NDArray, y: NDArray, activation: str, leak: float) -> float:
    """``max_{j,s} |sum_n sigma(s (x_n - x_j)) (y_n - ybar)|`` (two-layer ramps, §2)."""
    act = get_activation(activation)
    diff = x[:, None] - x[None, :]  # [n, j] = x_n - x_j
    yc = _centred(y)
    return float(max(np.abs(yc @ act(s * diff, leak)).max() for s in (1.0, -1.0)))


def _beta_max_capped_ramps(x: NDArray, y: NDArray) -> float:
    """``max_{a<b} |sum_n min(max(x_n - x_(a), 0), x_(b) - x_(a)) (y_n - ybar)|`` (§4.3)."""
    xs = np.unique(x)
    p, q = np.triu_indices(xs.size, k=1)
    ramps = np.clip(x[:, None] - xs[p][None, :], 0.0, (xs[q] - xs[p])[None, :])
    return float(np.abs(_centred(y) @ ramps).max(initial=0.0))


def _beta_max_steps(x: NDArray, y: NDArray, activation: str) -> float:
    """``height * max_k |sum_{x_n > t_k} (y_n - ybar)|`` over the gaps ``t_k`` (§3)."""
    xs = np.unique(x)
    height = 2.0 if activation == "sign" else 1.0  # sign steps jump from -1 to +1
    right = x[:, None] > xs[None, :-1]
    return height * float(np.abs(_centred(y) @ right).max(initial=0.0))


def beta_max_closed_form(
    x: object, y: object, architecture: Architecture, dictionary: Dictionary | None = None
) -> ClosedForm:
    """``beta_max`` from the data, by the explicit columns of THEORY.md where known.

    Parameters
    ----------
    x, y : array_like of shape (n_samples,)
    architecture : Architecture
    dictionary : Dictionary, optional
        Needed only for architectures without explicit columns here (absolute-value chains
        of depth >= 3, sign / threshold trees); built on demand otherwise.

    Returns
    -------
    ClosedForm
        Labelled [PROVED-HERE], THEORY.md §7.1 (and the section of the columns used).
    """
    x_arr, y_arr = validate_inputs(x, y)
    act, depth = architecture.activation, architecture.depth
    meaning = "For β ≥ β_max the flat line y = mean(y) is optimal: no neuron is used."
    if depth == 2 and act in ("relu", "leaky_relu", "abs"):
        value = _beta_max_ramps(x_arr, y_arr, act, architecture.leak)
        formula = "max over j, s of |Σ_n σ(s(x_n − x_j)) (y_n − ȳ)|"
        source = "THEORY.md §7.1, ramps of §2"
    elif act == "relu":
        value = _beta_max_capped_ramps(x_arr, y_arr)
        formula = "max over a < b of |Σ_n ramp(x_(a), x_(b); x_n) (y_n − ȳ)|"
        source = "THEORY.md §7.1, capped ramps of §4.3"
    elif depth == 2 and act in ("sign", "threshold"):
        value = _beta_max_steps(x_arr, y_arr, act)
        height = "2 · " if act == "sign" else ""
        formula = f"{height}max over gaps t of |Σ_(x_n > t) (y_n − ȳ)|"
        source = "THEORY.md §7.1, steps of §3"
    else:
        if dictionary is None or not np.array_equal(dictionary.x_train, x_arr):
            from .dictionary import build_dictionary

            dictionary = build_dictionary(x_arr, architecture)
        A = dictionary.A
        value = float(np.abs((A - A.mean(axis=0)).T @ _centred(y_arr)).max(initial=0.0))
        formula = "max over the dictionary's columns a_i of |Σ_n (a_i,n − ā_i)(y_n − ȳ)|"
        source = "THEORY.md §7.1"
    return ClosedForm("β_max", formula, value, "[PROVED-HERE]", source, meaning)


def secant_slopes(x: object, y: object) -> NDArray[np.float64] | None:
    """``d_k = (y_(k+1) - y_(k)) / (x_(k+1) - x_(k))`` of the sorted data; ``None`` if an
    input repeats or there are fewer than two points."""
    x_arr, y_arr = validate_inputs(x, y)
    order = np.argsort(x_arr, kind="stable")
    xs, ys = x_arr[order], y_arr[order]
    if xs.size < 2 or np.any(np.diff(xs) == 0):
        return None
    return np.diff(ys) / np.diff(xs)


def min_l1_interpolation(x: object, y: object, architecture: Architecture) -> ClosedForm | None:
    """The ``beta -> 0`` limit of ``objective / beta``: the smallest ``||z||_1`` of an
    exact interpolant (THEORY.md §7.2), or ``None`` where THEORY.md gives no closed form.

    ======================  ==================================================
    architecture            smallest ``||z||_1``
    ======================  ==================================================
    2-layer ReLU            ``max(T, (T + |d_1| + |d_(N-1)|) / 2)``
    2-layer absolute value  ``(T + |d_1 + d_(N-1)|) / 2``
    narrow ReLU, L >= 3     ``(|d_1| + T + |d_(N-1)|) / 2``
    2-layer threshold       ``sum_k |y_(k+1) - y_(k)|``
    2-layer sign            half the threshold value
    ======================  ==================================================

    ``None`` also for repeated inputs or a single point (the formulas assume distinct
    inputs).
    """
    d = secant_slopes(x, y)
    act, depth = architecture.activation, architecture.depth
    if d is None:
        return None
    _, y_arr = validate_inputs(x, y)
    T = float(np.abs(np.diff(d)).sum())
    ends = abs(d[0]) + abs(d[-1])
    if act == "relu" and depth == 2:
        value, formula = max(T, (T + ends) / 2), "max(T, (T + |d_1| + |d_(N−1)|) / 2)"
    elif act == "abs" and depth == 2:
        value, formula = (T + abs(d[0] + d[-1])) / 2, "(T + |d_1 + d_(N−1)|) / 2"
    elif act == "relu":
        value, formula = (ends + T) / 2, "(|d_1| + T + |d_(N−1)|) / 2"
    elif act in ("threshold", "sign") and depth == 2:
        jumps = float(np.abs(np.diff(y_arr[np.argsort(x, kind="stable")])).sum())
        value = jumps if act == "threshold" else jumps / 2
        formula = "Σ_k |y_(k+1) − y_(k)|" + (" / 2" if act == "sign" else "")
    else:
        return None
    if act in ("relu", "abs"):
        formula += ", with secant slopes d_k and T = Σ_k |d_(k+1) − d_k|"
    meaning = (
        "As β → 0 the optimum tends to β times this: the smallest ||z||_1 of a network "
        "through every point."
    )
    return ClosedForm(
        "β → 0 limit of objective / β",
        formula,
        float(value),
        "[PROVED-HERE]",
        "THEORY.md §7.2",
        meaning,
    )


def closed_forms(result: FitResult) -> tuple[ClosedForm, ...]:
    """Every closed form THEORY.md gives for ``result``'s data and architecture."""
    forms = [beta_max_closed_form(result.x, result.y, result.architecture, result.dictionary)]
    limit = min_l1_interpolation(result.x, result.y, result.architecture)
    if limit is not None:
        forms.append(limit)
    return tuple(forms)
