"""Every optimal network: the optimal face of the Lasso, its vertices, and tied features.

At a fixed ``beta`` the fitted values ``u = A z* + xi*`` and the dual point
``r = y - u`` of ``min 0.5 ||A z + xi 1 - y||^2 + beta ||z||_1`` are unique, but ``z*`` need
not be (THEORY.md §1, §4.3). With ``_c`` for centring (which removes ``xi``), the set of
optimal ``z`` is the *optimal face*

.. math:: F = \\{ z : A_c z = A_c z^*,\\ z_j = 0 \\text{ unless } |a_{jc}^T r| = \\beta,\\
          \\mathrm{sign}(z_j) = \\mathrm{sign}(a_{jc}^T r) \\},

since every such ``z`` has the same loss and ``||z||_1 = \\sum_j \\sigma_j z_j = r^T A_c z /
\\beta``, the same penalty. Writing ``z_j = \\sigma_j c_j`` over the face columns ``J``
(``\\sigma_j = \\mathrm{sign}(a_{jc}^T r)``) gives the polytope
``P = \\{c \\ge 0 : B c = A_c z^*\\}`` with ``B = A_{Jc} \\mathrm{diag}(\\sigma)``. Here:

* :func:`optimal_face` -- ``J``, ``\\sigma`` and the target ``A_c z^*``;
* :func:`is_unique` -- ``P`` is one point iff, at a vertex ``c_0`` with support ``S``
  (independent columns), no direction ``d != 0`` has ``B d = 0`` and ``d_j \\ge 0`` off
  ``S``; the *curve* is unique iff every such direction leaves it unchanged (two LPs).
  It is then unique unless an active feature has a tied
  candidate (``Dictionary.members``) equal to it on the data but not between the points;
* :func:`alternative_optima` -- distinct optimal networks: the sparsest vertex found, the
  vertex with the least weight on reflection features (an LP), the smallest ``||z||_2`` (a
  QP, not a vertex), tied features swapped in, and further vertices (LPs minimising or
  maximising one coefficient). Each is rebuilt as a network and kept only if its
  regularized objective equals the certified optimum to :func:`objective_tolerance`.

The work is capped (``limit`` networks, at most :data:`MAX_LPS` LPs, at most
:data:`MAX_TIE_MEMBERS` tied candidates evaluated per feature) so that the app can call it
on every fit.

>>> from convexviz import Architecture, fit
>>> r = fit([0, 4, 5, 7, 10, 11], [0, 0, 0, 2, 3, 3], Architecture("relu", 4), beta=1e-3)
>>> is_unique(r).unique
False
>>> [a.name for a in alternative_optima(r)][:3]
['sparsest', 'fewest reflections', 'smallest ||z||_2']
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import cvxpy as cp
import numpy as np
import scipy.optimize
from numpy.typing import NDArray

from .features import KIND_CODE, Feature
from .fit import FitResult
from .lasso import certificate_tolerance, lasso_objective
from .network import Network, unit_for
from .plots import default_grid
from .polish import KKT_TOL, ZERO_TOL, active_set, sparsest_on_face

#: At most this many LPs per call (vertex search, uniqueness).
MAX_LPS = 40

#: At most this many tied candidates of one feature are compared off the data.
MAX_TIE_MEMBERS = 2_000

#: Two curves are the same network when they differ by less than this (relative to the
#: range of ``y``) on the plotting grid.
CURVE_RTOL = 1e-6

#: Names of tie networks (legend entries) are cut to this many characters after ``tie: ``.
MAX_NAME_LENGTH = 36

#: Face columns beyond this many are not searched one by one (the LP vertex search).
MAX_FACE_SEARCH = 200


@dataclass(frozen=True, eq=False)
class OptimalFace:
    """The optimal face of one fit (module docstring).

    Attributes
    ----------
    columns : ndarray of int, shape (k,)
        Dictionary classes ``J`` with ``|a_jc^T r| = beta`` (to rounding).
    signs : ndarray of shape (k,)
        ``sigma_j = sign(a_jc^T r)``: the sign every optimal ``z_j`` must have.
    B : ndarray of shape (n_samples, k)
        ``A_c[:, J] * sigma``: the face is ``{c >= 0 : B c = target}``.
    target : ndarray of shape (n_samples,)
        ``A_c z*``: the unique centred fitted values.
    """

    columns: NDArray[np.int_]
    signs: NDArray[np.float64]
    B: NDArray[np.float64]
    target: NDArray[np.float64]

    def to_z(self, c: NDArray[np.float64], size: int) -> NDArray[np.float64]:
        """``z`` over the dictionary from face weights ``c`` (``z_J = sigma c``)."""
        z = np.zeros(size)
        z[self.columns] = self.signs * c
        return z

    def from_z(self, z: NDArray[np.float64]) -> NDArray[np.float64]:
        """Face weights ``c = sigma z_J`` of an optimal ``z``."""
        return self.signs * z[self.columns]


@dataclass(frozen=True)
class Uniqueness:
    """Whether the optimal network is unique, with the reason (a short proof).

    Truthy exactly when unique, so ``if is_unique(result):`` reads as it should.
    """

    unique: bool
    reason: str

    def __bool__(self) -> bool:
        return self.unique


@dataclass(frozen=True, eq=False)
class OptimalNetwork:
    """One optimal network.

    Attributes
    ----------
    name : str
        ``sparsest``, ``fewest reflections``, ``smallest ||z||_2``, ``as fitted``,
        ``tie: <feature>`` or ``other vertex k``.
    description : str
        One sentence: how it was found and what makes it different.
    z : ndarray of shape (M,)
        Coefficients over the dictionary's classes.
    raw_columns : tuple of int
        The raw candidate used for each nonzero of ``z`` (in the order of
        ``np.nonzero(z)``): the class representative, or a tied member.
    features : tuple of Feature
        Those raw candidates as features (one per unit).
    coefs : tuple of float
        The coefficient of each of them: ``f(x) = sum_k coefs_k features_k(x) + bias``
        (``z_i`` times the member's sign relative to its class representative).
    network : Network
        The rebuilt network: one unit per nonzero, ``f = sum_j z_j phi_j + xi``.
    objective : float
        The network's regularized objective ``0.5 ||f(x) - y||^2 + penalty``; equal to the
        certified Lasso optimum (to :func:`objective_tolerance`).
    n_reflections : int
        Units whose feature is a reflection.
    """

    name: str
    description: str
    z: NDArray[np.float64]
    raw_columns: tuple[int, ...]
    features: tuple[Feature, ...]
    coefs: tuple[float, ...]
    network: Network
    objective: float
    n_reflections: int

    @property
    def n_neurons(self) -> int:
        return self.network.n_neurons

    def predict(self, grid: NDArray[np.float64]) -> NDArray[np.float64]:
        """The network's curve ``f(grid)``."""
        return self.network.forward(np.asarray(grid, dtype=float))


def objective_tolerance(result: FitResult, z: NDArray[np.float64]) -> float:
    """How far an optimum's objective may be from the certified one: ``1e-9`` relative.

    :func:`convexviz.lasso.certificate_tolerance`: ``1e-9`` times the objective plus the
    rounding floor of storing ``z`` in double precision.
    """
    return certificate_tolerance(result.dictionary.A, z, result.lasso.objective)


# ---------------------------------------------------------------- the face


def optimal_face(result: FitResult) -> OptimalFace:
    """The face columns ``J``, their signs and the target ``A_c z*`` (module docstring)."""
    A, y, z = result.dictionary.A, result.y, result.lasso.z
    Ac, yc = A - A.mean(axis=0), y - y.mean()
    beta = result.lasso.beta
    corr = Ac.T @ (yc - Ac @ z)
    tol = _face_tolerance(Ac, yc, beta)
    on_face = np.abs(corr) >= beta - tol
    on_face[np.nonzero(z)[0]] = True
    columns = np.nonzero(on_face)[0]
    signs = np.where(z[columns] != 0, np.sign(z[columns]), np.sign(corr[columns]))
    return OptimalFace(columns, signs, Ac[:, columns] * signs, Ac @ z)


def _face_tolerance(Ac: NDArray, yc: NDArray, beta: float) -> float:
    """How close to ``beta`` a correlation ``|a_jc^T r|`` must be for column ``j`` to count.

    A hundred times the optimality tolerance of :mod:`convexviz.polish` (relative to
    ``beta``, or to rounding in the product ``A_c^T r``). A column let in by mistake is
    harmless: every optimum built from the face is checked against the certified objective.
    """
    rounding = 1e-13 * float(np.abs(Ac).max(initial=0.0) * np.abs(yc).sum())
    return 100 * max(KKT_TOL * beta, rounding)


def _vertex(face: OptimalFace, cost: NDArray[np.float64]) -> NDArray[np.float64] | None:
    """A vertex of ``{c >= 0 : B c = target}`` minimising ``cost^T c`` (HiGHS dual simplex)."""
    if not face.columns.size:
        return None
    answer = scipy.optimize.linprog(
        cost, A_eq=face.B, b_eq=face.target, bounds=(0, None), method="highs-ds"
    )
    if answer.status != 0:
        return None
    c = answer.x
    return np.where(c > ZERO_TOL * max(float(c.max(initial=0.0)), 1e-300), c, 0.0)


def _exact(result: FitResult, face: OptimalFace, c: NDArray[np.float64]) -> NDArray | None:
    """An exactly optimal ``z`` on the support of face weights ``c``, or ``None``.

    The active-set method of :mod:`convexviz.polish` re-solves the optimality conditions on
    that support; the answer is kept only if its objective is the certified optimum.
    """
    A, y = result.dictionary.A, result.y
    z = face.to_z(c, A.shape[1])
    exact = active_set(A - A.mean(axis=0), y - y.mean(), result.lasso.beta, z)
    for candidate in (exact, z):
        if candidate is not None and _is_optimal(result, candidate):
            return candidate
    return None


def _is_optimal(result: FitResult, z: NDArray[np.float64]) -> bool:
    A, y = result.dictionary.A, result.y
    bias = float(np.mean(y - A @ z))
    objective = lasso_objective(A, y, z, bias, result.lasso.beta)
    return abs(objective - result.lasso.objective) <= objective_tolerance(result, z)


def _start_vertex(result: FitResult, face: OptimalFace) -> NDArray[np.float64] | None:
    """Face weights of an optimum with linearly independent support columns."""
    c = face.from_z(result.lasso.z)
    support = c > 0
    if np.linalg.matrix_rank(face.B[:, support]) == int(support.sum()):
        return c
    return _vertex(face, np.ones(face.columns.size))


def _curve_matrix(result: FitResult, face: OptimalFace, grid: NDArray) -> NDArray:
    """``G[g, j] = sigma_j (phi_j(grid_g) - mean_n phi_j(x_n))``: the curve of face weights.

    The curve of an optimum is ``f = sum_j z_j phi_j + xi`` with ``xi = mean(y - A z)``, so
    ``f(grid) = mean(y) + G c`` for face weights ``c``.
    """
    d = result.dictionary
    on_grid = d.evaluate(grid, face.columns)
    on_data = d.evaluate(result.x, face.columns)
    return (on_grid - on_data.mean(axis=0)) * face.signs


def _curve_changing_direction(
    face: OptimalFace, c0: NDArray[np.float64], G: NDArray[np.float64]
) -> NDArray | None:
    """A feasible direction at ``c0`` along which the curve ``G c`` changes, or ``None``.

    The feasible directions at ``c0`` are the cone ``K = {d : B d = 0, d_j >= 0 off S}``
    (``S = supp c0``). The curve is the same on the whole face iff ``G K = {0}``; for a
    fixed generic weight vector ``w`` (seeded) a nonzero cone ``G K`` has ``w^T G d != 0``
    for some ``d in K``, so two LPs (maximise and minimise ``w^T G d`` over ``K`` cut to
    the box ``|d| <= 1``) decide it with probability one; the returned ``d`` is an explicit
    witness (``c0 + t d`` is optimal for small ``t > 0``).
    """
    off = c0 == 0
    if not off.any():
        return None
    w = np.random.default_rng(8).standard_normal(G.shape[0])
    objective = G.T @ w
    bounds = [(0.0, 1.0) if o else (-1.0, 1.0) for o in off]
    scale = float(np.abs(G).max(initial=0.0)) * G.shape[0] ** 0.5
    for sign in (1.0, -1.0):
        answer = scipy.optimize.linprog(
            sign * objective, A_eq=face.B, b_eq=np.zeros(face.B.shape[0]), bounds=bounds,
            method="highs-ds",
        )  # fmt: skip
        if answer.status == 0 and -answer.fun > 1e-7 * scale:
            return answer.x
    return None


# ---------------------------------------------------------------- networks


def _curve_grid(result: FitResult) -> NDArray[np.float64]:
    """The plotting grid plus the midpoints between the sorted data (where ties differ)."""
    xs = np.unique(result.x)
    return np.union1d(default_grid(result.x), (xs[1:] + xs[:-1]) / 2)


def _network(
    result: FitResult, z: NDArray, raw: tuple[int, ...], name: str, text: str
) -> OptimalNetwork:
    """Rebuild ``z`` (with the raw candidates ``raw``) as an :class:`OptimalNetwork`."""
    d, arch = result.dictionary, result.architecture
    active = np.nonzero(z)[0]
    features = tuple(d.columns.feature(int(j)) for j in raw)
    # A member equals sign * representative + const on the data: its coefficient flips.
    coefs = tuple(float(z[i]) * float(d.class_sign[j]) for i, j in zip(active, raw, strict=True))
    units = [unit_for(f, c, arch) for f, c in zip(features, coefs, strict=True)]
    offsetless = Network(arch, tuple(units), 0.0)
    bias = float(np.mean(result.y - offsetless.forward(result.x)))
    network = Network(arch, tuple(units), bias)
    reflection = KIND_CODE["reflection"]
    kinds = d.columns.kinds[np.asarray(raw, dtype=int)] if raw else np.zeros(0, dtype=int)
    return OptimalNetwork(
        name=name,
        description=text,
        z=z,
        raw_columns=tuple(int(j) for j in raw),
        features=features,
        coefs=coefs,
        network=network,
        objective=network.objective(result.x, result.y, result.lasso.beta),
        n_reflections=int(np.count_nonzero(kinds == reflection)),
    )


def _representatives(result: FitResult, z: NDArray) -> tuple[int, ...]:
    reps = result.dictionary.representatives
    return tuple(int(reps[i]) for i in np.nonzero(z)[0])


def _smallest_l2(result: FitResult, face: OptimalFace) -> NDArray | None:
    """Face weights of the optimum with the smallest ``||z||_2``: ``min ||c||^2, B c = u, c >= 0``.

    Solved by Clarabel, then made exact on its support ``S``: ``c_S = B_S^+ u`` is the
    minimum-norm solution there; it replaces Clarabel's answer when it is feasible (``c_S >
    0``, ``B c = u`` to rounding) and no longer (to ``1e-8`` relative), so it is the QP's
    optimum to the solver's tolerance, without the solver's tiny nonzeros.
    """
    k = face.columns.size
    if k == 0:
        return None
    c = cp.Variable(k, nonneg=True)
    problem = cp.Problem(cp.Minimize(cp.sum_squares(c)), [face.B @ c == face.target])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        try:
            problem.solve(solver="CLARABEL")
        except cp.SolverError:
            return None
    if c.value is None:
        return None
    raw = np.maximum(np.asarray(c.value, dtype=float), 0.0)
    support = raw > 1e-6 * max(float(raw.max(initial=0.0)), 1e-300)
    exact = np.zeros(k)
    exact[support] = np.linalg.pinv(face.B[:, support]) @ face.target
    feasible = np.all(exact[support] > 0) and np.allclose(
        face.B @ exact, face.target, rtol=0.0, atol=1e-12 * float(np.abs(face.target).max())
    )
    return exact if feasible and exact @ exact <= (raw @ raw) * (1 + 1e-8) else raw


def _tie_swaps(result: FitResult, z: NDArray, grid: NDArray) -> list[tuple[int, int, float]]:
    """For each active class: ``(class, member, deviation)`` for its most different tie.

    A member ``m`` of class ``i`` equals ``s_m phi_i + const`` on the data; its deviation is
    ``max |m - s_m phi_i - const|`` on ``grid``, with ``const`` fitted on the data. Only
    members whose deviation exceeds :data:`CURVE_RTOL` (relative to the feature's own
    range) count: they give the same values on the data and a different curve.
    """
    d = result.dictionary
    swaps = []
    for i in np.nonzero(z)[0]:
        members = d.members(int(i))[:MAX_TIE_MEMBERS]
        rep = int(d.representatives[i])
        members = members[members != rep]
        if not members.size:
            continue
        signs = d.class_sign[members]
        on_data = d.columns.evaluate(result.x, members) - signs * d.columns.evaluate(
            result.x, np.array([rep])
        )
        rep_grid = d.columns.evaluate(grid, np.array([rep]))
        off = d.columns.evaluate(grid, members) - signs * rep_grid
        deviation = np.abs(off - on_data.mean(axis=0)).max(axis=0)
        scale = max(float(np.ptp(rep_grid)), 1e-300)
        best = int(np.argmax(deviation))
        if deviation[best] > CURVE_RTOL * scale:
            swaps.append((int(i), int(members[best]), float(deviation[best])))
    return swaps


def is_unique(result: FitResult) -> Uniqueness:
    """Whether the optimal curve is unique, with a proof-like reason.

    1. ``z*`` is unique iff the face polytope ``{c >= 0 : B c = A_c z*}`` is one point: at a
       vertex with independent support columns that holds iff no feasible direction exists;
       independent face columns settle it. Dependent ones may give several ``z`` with one
       curve, so the LPs of :func:`_curve_changing_direction` look for a feasible direction
       that changes the curve on the plotting grid.
    2. The curve is then unique unless an active feature has a tied candidate (equal on the
       data up to a constant and sign) that differs between or beyond the points.

    Uniqueness is up to the symmetries of every network (order of the neurons, rescaling
    of the weights inside a unit), and within this architecture's dictionary.
    """
    d = result.dictionary
    face = optimal_face(result)
    if not np.any(result.lasso.z):
        return Uniqueness(
            True,
            f"Unique: β ≥ β_max = {result.beta_max:.4g}, so the flat line y = mean(y) is "
            "optimal, and every optimum has ||z||_1 = r^T A_c z / β = 0.",
        )
    k = face.columns.size
    grid = _curve_grid(result)
    if k == 1:
        why = "only one feature has correlation ±β on the residual, so the fitted values fix it"
    elif np.linalg.matrix_rank(face.B) == k:
        why = (
            f"the {k} features with correlation ±β on the residual are linearly "
            "independent on the data, so one combination of them gives the fitted values"
        )
    else:
        c0 = _start_vertex(result, face)
        direction = None
        if c0 is not None:
            direction = _curve_changing_direction(face, c0, _curve_matrix(result, face, grid))
        if direction is not None:
            entering = face.columns[(c0 == 0) & (direction > 1e-9)]
            name = d.feature(int(entering[0])).label if entering.size else "another feature"
            return Uniqueness(
                False,
                f"Not unique: {name} can enter the optimum, keeping the fitted values and "
                "||z||_1 but changing the curve (an LP found the direction).",
            )
        why = (
            f"the {k} features with correlation ±β are dependent, so several z give the "
            "fitted values, but an LP shows that all of them draw the same curve"
        )
    swaps = _tie_swaps(result, result.lasso.z, grid)
    if swaps:
        i, member, _ = swaps[0]
        return Uniqueness(
            False,
            f"Not unique: {d.feature(i).label} and {d.columns.feature(member).label} agree on "
            "the data (up to a constant) but not between or beyond the points.",
        )
    return Uniqueness(
        True,
        f"Unique: {why}, and no active feature has a tie that differs off the data.",
    )


def alternative_optima(result: FitResult, limit: int = 8) -> tuple[OptimalNetwork, ...]:
    """Distinct optimal networks of one fit, at most ``limit`` of them, the sparsest first.

    Order: ``sparsest`` (fewest neurons among the optima found, then the fewest
    reflections, then a bounded search for a smaller support), ``as fitted`` (if
    different), ``fewest reflections`` (the LP vertex with the least l1 weight on
    reflection features), ``smallest ||z||_2`` (a QP), ``tie: ...`` (an active feature of
    the sparsest replaced by the tied candidate that differs most off the data), ``other
    vertex k`` (LPs minimising or maximising one coefficient). Networks
    whose curves coincide on the plotting grid are listed once (the first name wins).

    Every returned network has ``objective`` equal to ``result.lasso.objective`` to
    :func:`objective_tolerance`; candidates that are not are dropped.

    Parameters
    ----------
    result : FitResult
    limit : int
        At most this many networks (``>= 1``). The work is capped too: at most
        :data:`MAX_LPS` LPs and one QP.
    """
    if limit < 1:
        raise ValueError(f"limit must be at least 1, got {limit}")
    d = result.dictionary
    face = optimal_face(result)
    grid = _curve_grid(result)
    fitted = result.lasso.z
    # One curve on the whole face (e.g. independent face columns: the face is one point):
    # no vertex search, only ties can differ.
    single_point = _one_curve_on_face(result, face, grid)
    reflective = d.columns.kinds[d.representatives[face.columns]] == KIND_CODE["reflection"]
    least_reflection = None
    if reflective.any() and not single_point:
        least_reflection = _exact_vertex(result, face, reflective.astype(float))
    vertices = [] if single_point else _vertex_search(result, face, limit, int(reflective.any()))
    pool = [fitted] + ([least_reflection] if least_reflection is not None else [])
    pool += [z for z, _ in vertices]
    sparsest = min(pool, key=lambda z: (np.count_nonzero(z), _reflection_count(result, z)))
    sparsest = sparsest_on_face(d.A, result.y, result.lasso.beta, sparsest)
    named = [
        (
            "sparsest",
            f"The fewest neurons ({np.count_nonzero(sparsest)}) of the optima found.",
            sparsest,
        ),
        ("as fitted", "The network the solver returned.", fitted),
    ]
    if least_reflection is not None:
        text = "The optimum with the least weight on reflection features (an LP vertex)."
        named.append(("fewest reflections", text, least_reflection))
    l2 = None if single_point else _smallest_l2(result, face)
    if l2 is not None and _is_optimal(result, face.to_z(l2, d.size)):
        text = (
            "The optimum with the smallest ||z||_2 (a QP; it spreads the weight over tied "
            "directions instead of choosing a vertex)."
        )
        named.append(("smallest ||z||_2", text, face.to_z(l2, d.size)))
    kept = _DistinctOptima(result, grid, limit)
    for name, text, z in named:
        kept.add(_network(result, z, _representatives(result, z), name, text))
    for i, member, _ in _tie_swaps(result, sparsest, grid):
        raw = list(_representatives(result, sparsest))
        raw[int(np.searchsorted(np.nonzero(sparsest)[0], i))] = member
        label = d.columns.feature(member).label
        text = (
            f"{label} replaces {d.feature(i).label}: the same values on the data, another curve."
        )
        kept.add(_network(result, sparsest, tuple(raw), "tie: " + _short(label), text))
    for z, text in vertices:
        name = f"other vertex {kept.n_other + 1}"
        kept.add(_network(result, z, _representatives(result, z), name, text))
    return kept.networks


def _short(label: str, width: int = MAX_NAME_LENGTH) -> str:
    """``label`` cut to ``width`` characters (with an ellipsis) for a legend entry."""
    return label if len(label) <= width else label[: width - 1].rstrip() + "…"


def _one_curve_on_face(result: FitResult, face: OptimalFace, grid: NDArray) -> bool:
    """Whether every optimum on the face draws the same curve on ``grid`` (see
    :func:`is_unique`, step 1): independent face columns, or no curve-changing direction."""
    if np.linalg.matrix_rank(face.B) == face.columns.size:
        return True
    c0 = _start_vertex(result, face)
    if c0 is None:
        return False
    return _curve_changing_direction(face, c0, _curve_matrix(result, face, grid)) is None


def _exact_vertex(result: FitResult, face: OptimalFace, cost: NDArray) -> NDArray | None:
    """The exact optimum on the support of the LP vertex minimising ``cost^T c``, if any."""
    c = _vertex(face, cost)
    return None if c is None else _exact(result, face, c)


def _vertex_search(
    result: FitResult, face: OptimalFace, limit: int, n_lps: int = 0
) -> list[tuple[NDArray, str]]:
    """Optimal vertices with distinct supports, each with how it was found.

    LPs minimise, then maximise, the weight of one face column after the other (the first
    :data:`MAX_FACE_SEARCH` columns); at most :data:`MAX_LPS` LPs in all (``n_lps`` already
    spent) and ``limit`` vertices.
    """
    d = result.dictionary
    k = face.columns.size
    found: dict[tuple[int, ...], tuple[NDArray, str]] = {}
    for j, column in enumerate(face.columns[:MAX_FACE_SEARCH]):
        for direction, verb in ((1.0, "minimising"), (-1.0, "maximising")):
            if n_lps >= MAX_LPS or len(found) >= limit:
                return list(found.values())
            cost = np.zeros(k)
            cost[j] = direction
            n_lps += 1
            z = _exact_vertex(result, face, cost)
            if z is not None:
                text = f"An LP vertex {verb} the weight of {d.feature(int(column)).label}."
                found.setdefault(tuple(np.nonzero(z)[0]), (z, text))
    return list(found.values())


class _DistinctOptima:
    """Collects optimal networks whose curves differ on ``grid`` (the first of equal ones).

    A network whose objective is not the certified optimum (to :func:`objective_tolerance`)
    is refused.
    """

    def __init__(self, result: FitResult, grid: NDArray, limit: int) -> None:
        self.result, self.grid, self.limit = result, grid, limit
        self.tol = CURVE_RTOL * max(float(np.ptp(result.y)), 1.0)
        self.kept: list[OptimalNetwork] = []
        self.curves: list[NDArray] = []

    @property
    def full(self) -> bool:
        return len(self.kept) >= self.limit

    @property
    def n_other(self) -> int:
        return sum(n.name.startswith("other vertex") for n in self.kept)

    @property
    def networks(self) -> tuple[OptimalNetwork, ...]:
        return tuple(self.kept)

    def add(self, network: OptimalNetwork) -> bool:
        """Keep ``network`` if there is room, it is optimal, and its curve is new."""
        if self.full or not _objective_ok(self.result, network):
            return False
        curve = network.predict(self.grid)
        if any(np.abs(curve - other).max() <= self.tol for other in self.curves):
            return False
        self.kept.append(network)
        self.curves.append(curve)
        return True


def _reflection_count(result: FitResult, z: NDArray) -> int:
    kinds = result.dictionary.columns.kinds[result.dictionary.representatives[np.nonzero(z)[0]]]
    return int(np.count_nonzero(kinds == KIND_CODE["reflection"]))


def _objective_ok(result: FitResult, network: OptimalNetwork) -> bool:
    gap = abs(network.objective - result.lasso.objective)
    return gap <= objective_tolerance(result, network.z)
