"""Deep narrow absolute-value chains (depth ``L >= 4``): "reflections of reflections".

Spec: ``THEORY_DEEP_ABS.md``. A unit is ``alpha |w_P |... |w_1 x + b_1| ...| + b_P|`` with
``P = L - 1`` hidden scalar layers and penalty ``(beta / L)(sum_l |w_l|^L + |alpha|^L)``;
biases and the output offset are free. By rescaling (§1, [PROVED]) every unit equals
``z u_c(x)`` at cost ``beta |z|``, with the normalized feature

.. math:: u_c(x) = \\big| \\cdots \\big|\\, |x - c_1| - c_2 \\big| \\cdots - c_P \\big|,
          \\qquad c \\in \\mathbb{R}^P,

so the training problem is the Lasso over ``{u_c}``; this module lists a *finite* set of
parameter vectors ``c`` that is enough.

Zeros and incidences (§2.1, [PROVED]). The zeros of layer ``l`` are the points
``x = sum_{i <= l} eps_i c_i`` (``eps_1 = +1``, ``eps_i = +-1``) whose nested brackets
``r_k = eps_k sum_{i=k..l} eps_i c_i`` are all ``>= 0`` (``k = 2..l``, *valid*). The
breakpoints of ``u_c`` are exactly its valid zeros, at most ``2^P - 1`` of them.

Completeness (§2.2, [PROVED]). Cut parameter space into the cells where the signs of all
``u_{l-1}(x_n) - c_l`` are fixed; every ``u_c(X)`` lies in the convex hull of the cell
vertices' features plus constants. A vertex satisfies ``P`` linearly independent valid
incidences ``x_n = <a_{l,eps}, c>``; :func:`vertex_parameters` enumerates all of them
(§2.4): for every nonsingular set of ``P`` incidence types and every index tuple in
``[N]^P`` solve for ``c`` and keep it if the incidences are valid.

Depth 4 (§3.2, [PROVED] case analysis). The vertices are the union of seven closed-form
families, :func:`abs4_family_parameters`. With ``m_jk = (x_j + x_k)/2``,
``d_jk = |x_j - x_k|/2`` and ``delta_n = |x_n - c_1|``:

===========  =====================================================  ========================
family       ``(c_1, c_2, c_3)``                                    indices / validity
===========  =====================================================  ========================
CKZ          ``(x_i, |x_j-x_i|, ||x_k-x_i| - |x_j-x_i||)``          ``(i, j, k)``
CZZ          ``(x_i, (delta_j+delta_k)/2, |delta_j-delta_k|/2)``    ``i``, ``j < k``
KKZ          ``(m_ij, d_ij, ||x_k-m_ij| - d_ij|)``                  ``i < j``, ``k``
KZZ_sym      ``(m_jk, |x_i-m_jk|, ||x_i-m_jk| - d_jk|)``            ``i``, ``j < k``
KZZ_quarter  ``((2x_i+x_j+x_k)/4, |2x_i-x_j-x_k|/4, d_jk)``         ``|x_j-x_k| <= |x_i-m_jk|``
KZZ_shift    ``(x_i+(x_j-x_k)/2, |x_j-x_k|/2, |x_k-x_i|)``          ``2|x_k-x_i| <= |x_j-x_k|``
ZZZ          ``(m_jk, (delta_i+d_jk)/2, |delta_i-d_jk|/2)``         ``j < k``, ``i``
===========  =====================================================  ========================

Index-set size ``(9 N^3 - 5 N^2) / 2``. That the seven families give the same column set as
the general enumeration is [NUMERICAL] (checked in ``tests/test_abs_deep.py``). Depth 5 has
no closed forms: the general enumeration is used. The dictionaries are nested,
``D_3 ⊂ D_4 ⊂ D_5`` modulo constants ([PROVED], §2.3).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from ..features import KIND_CODE
from .columns import ChainColumns
from .incidences import lincomb, type_arrays, type_subsets
from .mirror_labels import MAX_MIRRORS, compact_pairs, vertex_mirrors

__all__ = ["abs_deep_columns", "abs_raw_size_estimate"]

#: Relative tolerance (times the data scale) for validity tests and coincidences.
REL_TOL = 1e-9

FAMILIES4 = ("CKZ", "CZZ", "KKZ", "KZZ_sym", "KZZ_quarter", "KZZ_shift", "ZZZ")


# ----------------------------------------------------------------------------------------
# Public entry points


def abs_raw_size_estimate(n: int, depth: int) -> int:
    """Number of raw candidate columns for ``n`` distinct inputs (used by the size cap).

    Depth 4: the size of the seven families' index set, ``(9 n^3 - 5 n^2) / 2`` (an upper
    bound: invalid members and repeated parameter vectors are dropped).

    Depth ``L >= 5``: the general enumeration visits ``K_L n^(L-1)`` candidates
    (``K_5 = 1014``); a few percent are valid (THEORY_DEEP_ABS Table D: about 1e6 at
    ``n = 15``), and after dropping repeated parameter vectors the number of columns
    returned is almost data-independent (generic data): 207, 3 182, 82 919, 263 408 for
    ``n = 3, 5, 10, 13``, fitted by ``12.77 n^4 - 50.47 n^3 + 51.73 n^2 + 73.74 n - 151``
    to within 0.02 %. We return that fit times 1.15. The margin makes the cap of 400 000
    columns admit at most 13 points at depth 5: a 13-point build takes about 3 s of CPU
    and 0.4 GB peak memory and the Lasso then has about 160 000 distinct columns; at 14
    points (363 000 columns) the whole fit takes roughly twice as long and uses more
    memory than we want in an interactive app.

    Depth ``L >= 6``: the number of candidates visited, ``K_L n^(L-1)`` (no measurements
    to calibrate on; ``K_6 = 116 396``, so only a handful of points pass the cap).

    Parameters
    ----------
    n : int
        Number of distinct training inputs.
    depth : int
        Network depth ``L >= 4``.

    Returns
    -------
    int
    """
    if depth < 4:
        raise ValueError(f"abs_deep handles depth >= 4, got {depth}")
    if depth == 4:
        return (9 * n**3 - 5 * n**2) // 2
    if depth == 5:
        fitted = 12.77 * n**4 - 50.47 * n**3 + 51.73 * n**2 + 73.74 * n - 151.0
        return max(int(np.ceil(1.15 * fitted)), 12 * n * n)  # small n: 1, 24 exactly
    k_l = {6: 116_396}.get(depth) or len(type_subsets(depth - 1))
    return k_l * n ** (depth - 1)


def abs_deep_columns(x: NDArray[np.float64], depth: int) -> ChainColumns:
    """Raw candidate columns of the depth-``depth`` absolute-value chain.

    Depth 4 uses the seven closed-form families (§3.2). Depth ``>= 5`` uses the general
    vertex enumeration (§2.4), listing first the depth-4 family members (with
    ``c_4 = ... = 0``, nesting §2.3) under their depth-4 names and then every further
    vertex as family ``"vertex"``.

    Parameters
    ----------
    x : ndarray of shape (n_samples,)
        Training inputs (repeats allowed).
    depth : int
        ``L >= 4``.

    Returns
    -------
    ChainColumns
        ``activation="abs"``, all signs ``+1``, ``offsets = c`` of shape ``(M, L-1)``.
    """
    if depth < 4:
        raise ValueError(f"abs_deep handles depth >= 4, got {depth}")
    p = np.unique(np.asarray(x, dtype=float))
    P = depth - 1
    tol = _tol(p)
    fam = abs4_family_parameters(p)
    c4 = np.concatenate([f[1] for f in fam])
    mirrors4 = np.concatenate([f[2] for f in fam])
    family4 = np.repeat(np.arange(len(fam)), [f[1].shape[0] for f in fam])
    if depth == 4:
        keep = _unique_rows(c4, tol)
        c, mirrors, family = c4[keep], mirrors4[keep], family4[keep]
        kinds, _, _ = _classify(c, p, tol)
        families = FAMILIES4
    else:
        cv, sid, slots = _vertex_candidates(p, P, tol)
        c = np.concatenate([np.hstack([c4, np.zeros((c4.shape[0], P - 3))]), cv])
        del cv
        keep = _unique_rows(c, tol)
        c = c[keep]
        n4 = int(np.searchsorted(keep, c4.shape[0]))  # kept rows that come from depth 4
        rows_v = keep[n4:] - c4.shape[0]
        kinds, valid, active = _classify(c, p, tol)
        mirrors_v = vertex_mirrors(sid[rows_v], slots[rows_v], valid[n4:], active[n4:], tol)
        mirrors = np.concatenate([mirrors4[keep[:n4]], mirrors_v])
        family = np.concatenate([family4[keep[:n4]], np.full(rows_v.size, len(FAMILIES4))])
        families = (*FAMILIES4, "vertex")
    mirrors = _trim(np.where((kinds == KIND_CODE["reflection"])[:, None, None], mirrors, np.nan))
    return ChainColumns(
        activation="abs",
        signs=np.ones_like(c),
        offsets=c,
        kinds=kinds,
        family_index=family,
        families=families,
        mirrors=mirrors,
    )


# ----------------------------------------------------------------------------------------
# Depth 4: the seven closed-form families (§3.2)


def abs4_family_parameters(
    p: NDArray[np.float64],
) -> list[tuple[str, NDArray[np.float64], NDArray[np.float64]]]:
    """Parameters and mirror constructions of the seven depth-4 families.

    Parameters
    ----------
    p : ndarray of shape (N,)
        Sorted distinct inputs.

    Returns
    -------
    list of (name, c, mirrors)
        For each family (in the order of :data:`FAMILIES4`) its *valid* members:
        ``c`` of shape ``(n, 3)`` and ``mirrors`` of shape ``(n, 4, 2)`` holding
        ``(source, mirror)`` pairs (NaN where unused). A pair means that
        ``2 * mirror - source`` is a breakpoint (§3.2 breakpoint table); pairs are listed
        in construction order, so a later pair may use the image of an earlier one.
    """
    p = np.asarray(p, dtype=float)
    n = p.size
    tol = _tol(p)
    i3, j3, k3 = (a.ravel() for a in np.indices((n, n, n)))
    lo, hi = np.triu_indices(n, 1)
    # "one index times a pair": i in [N], (j < k)
    ip = np.repeat(np.arange(n), lo.size)
    jp, kp = np.tile(lo, n), np.tile(hi, n)
    out = []

    # CKZ: centre x_i, knot x_j, zero x_k.
    xi, xj, xk = p[i3], p[j3], p[k3]
    c2 = np.abs(xj - xi)
    c = np.column_stack([xi, c2, np.abs(np.abs(xk - xi) - c2)])
    same = (xk - xi) * (xj - xi) >= 0
    cond = np.abs(xk - xi) <= 2 * c2 + tol
    q = np.where(same, xj, 2 * xi - xj)
    nan = np.full_like(xi, np.nan)
    src = [xj, xk, np.where(cond, xk, nan), np.where(cond, 2 * q - xk, nan)]
    mir = [xi, xi, q, xi]
    out.append(("CKZ", c, _pairs(src, mir, tol)))

    # CZZ: centre x_i, zeros x_j, x_k.
    xi, xj, xk = p[ip], p[jp], p[kp]
    dj, dk = np.abs(xj - xi), np.abs(xk - xi)
    c = np.column_stack([xi, (dj + dk) / 2, np.abs(dj - dk) / 2])
    same = (xj - xi) * (xk - xi) >= 0
    mjk = (xj + xk) / 2
    src = [xj, xk, np.where(same, mjk, np.nan)]
    out.append(("CZZ", c, _pairs(src, [xi, xi, xi], tol)))

    # KKZ: knots x_i < x_j, zero x_k.
    xi, xj, xk = p[np.repeat(lo, n)], p[np.repeat(hi, n)], p[np.tile(np.arange(n), lo.size)]
    m, d = (xi + xj) / 2, (xj - xi) / 2
    c = np.column_stack([m, d, np.abs(np.abs(xk - m) - d)])
    cond = np.abs(xk - m) <= 2 * d + tol
    q = np.where(xk >= m, xj, xi)
    src = [xk, np.where(cond, xk, np.nan), np.where(cond, 2 * q - xk, np.nan)]
    out.append(("KKZ", c, _pairs(src, [m, q, m], tol)))

    # KZZ_sym: knot x_i, zeros x_j < x_k mirror images about the centre.
    xi, xj, xk = p[ip], p[jp], p[kp]
    m, d = (xj + xk) / 2, (xk - xj) / 2
    c2 = np.abs(xi - m)
    c = np.column_stack([m, c2, np.abs(c2 - d)])
    cond = d <= 2 * c2 + tol
    xs = np.where(xi >= m, xk, xj)
    src = [xi, np.where(cond, xs, np.nan), np.where(cond, 2 * xi - xs, np.nan)]
    out.append(("KZZ_sym", c, _pairs(src, [m, xi, m], tol)))

    # KZZ_quarter: knot x_i, zeros x_j < x_k around the other knot m_jk.
    m, d = (xj + xk) / 2, (xk - xj) / 2
    ok = 2 * d <= np.abs(xi - m) + tol
    centre = (2 * xi + xj + xk) / 4
    c = np.column_stack([centre, np.abs(2 * xi - xj - xk) / 4, d])[ok]
    out.append(("KZZ_quarter", c, _pairs([xj[ok], xk[ok]], [centre[ok]] * 2, tol)))

    # KZZ_shift: knot x_i, zero x_k beside it, zero x_j beside the other knot x_i+x_j-x_k.
    xi, xj, xk = p[i3], p[j3], p[k3]
    ok = 2 * np.abs(xk - xi) <= np.abs(xj - xk) + tol
    xi, xj, xk = xi[ok], xj[ok], xk[ok]
    c = np.column_stack([xi + (xj - xk) / 2, np.abs(xj - xk) / 2, np.abs(xk - xi)])
    src = [xk, xk, xj]
    mir = [(xi + xj) / 2, xi, xi + xj - xk]
    out.append(("KZZ_shift", c, _pairs(src, mir, tol)))

    # ZZZ: zeros x_j < x_k mirror images about the centre, third zero x_i.
    xj, xk, xi = p[np.repeat(lo, n)], p[np.repeat(hi, n)], p[np.tile(np.arange(n), lo.size)]
    m, d = (xj + xk) / 2, (xk - xj) / 2
    di = np.abs(xi - m)
    c = np.column_stack([m, (di + d) / 2, np.abs(di - d) / 2])
    xs = np.where(xi >= m, xk, xj)
    out.append(("ZZZ", c, _pairs([xi, (xi + xs) / 2], [m, m], tol)))
    return out


# ----------------------------------------------------------------------------------------
# Any depth: the cell-vertex enumeration (§2.4)


def vertex_parameters(p: NDArray[np.float64], depth: int) -> NDArray[np.float64]:
    """All parameter vectors with ``P = depth - 1`` independent valid incidences (§2.4).

    For every nonsingular subset of ``P`` incidence types and every index tuple
    ``(n_1..n_P) in [N]^P`` (repeats allowed) solve ``x_{n_r} = <a_{t_r}, c>`` and keep
    ``c`` if all ``P`` incidences are valid (brackets ``>= -tol``). [PROVED] the output
    contains every cell vertex of §2.2, and each output is a genuine parameter vector, so
    the Lasso over it is exact (whether every output is a vertex is not needed).

    Parameters
    ----------
    p : array_like of shape (N,)
        Inputs (repeats are ignored).
    depth : int
        ``L >= 2``.

    Returns
    -------
    c : ndarray of shape (M, depth - 1)
        Without exact repeats, in enumeration order.
    """
    p = np.unique(np.asarray(p, dtype=float))
    tol = _tol(p)
    c, _, _ = _vertex_candidates(p, depth - 1, tol)
    return c[_unique_rows(c, tol)]


def _vertex_candidates(p: NDArray, P: int, tol: float) -> tuple[NDArray, NDArray, NDArray]:
    """Valid candidates ``c`` (M, P), their type subset (M,) and incident data (M, P).

    Streams over the ``K_L`` type subsets; memory ``O(N^P)`` per subset plus the output.
    The data are centred first (``c_1`` is translation-equivariant, the rest invariant),
    which keeps the rounding error relative to the data spread.
    """
    shift = float(p.mean()) if p.size else 0.0
    q = p - shift
    n = q.size
    # Slot r of the index tuple varies along axis r of an N x ... x N grid; a bracket
    # sum_r h_r x_{n_r} is built by broadcasting only over the slots it involves.
    axes = [q.reshape([n if a == r else 1 for a in range(P)]) for r in range(P)]
    xs_t = q[np.indices((n,) * P).reshape(P, -1)]  # (P, N^P): every index tuple
    cs, sids, slots = [], [], []
    for sid, (_, minv_t, H) in enumerate(type_subsets(P)):
        worst = np.full((n,) * P, np.inf)
        for b in range(H.shape[1]):
            bracket = sum(H[r, b] * axes[r] for r in range(P) if H[r, b] != 0)
            np.minimum(worst, bracket, out=worst)
        rows = np.flatnonzero(worst >= -tol)
        xs = xs_t[:, rows]
        cs.append(lincomb(minv_t, xs).T)
        sids.append(np.full(rows.size, sid))
        slots.append(xs.T)
    c = np.concatenate(cs)
    c[:, 0] += shift
    return c, np.concatenate(sids), np.concatenate(slots) + shift


# ----------------------------------------------------------------------------------------
# Breakpoints, kinds and mirror bookkeeping


def _zeros(c: NDArray, tol: float) -> tuple[NDArray, NDArray]:
    """All ``2^P - 1`` candidate zeros ``<a_t, c>`` (M, T) and their validity (M, T) (§2.1).

    Zero ``t = (l, eps)`` is valid iff its brackets ``r_k = eps_k sum_{i=k..l} eps_i c_i``
    are ``>= -tol`` for ``k = 2..l``; the valid zeros are exactly the breakpoints.
    """
    normals, rows, owner = type_arrays(c.shape[1])
    c_t = np.ascontiguousarray(c.T)
    zeros = lincomb(normals.T, c_t).T
    valid = np.ones(zeros.shape, bool)
    if rows.size:  # brackets are grouped by type (owner is sorted)
        types, starts = np.unique(owner, return_index=True)
        brackets = lincomb(rows.T, c_t)
        valid[:, types] = (np.minimum.reduceat(brackets, starts, axis=0) >= -tol).T
    return zeros, valid


def _is_simple(points: NDArray, p: NDArray, tol: float) -> NDArray[np.bool_]:
    """Whether each point is a data point or the midpoint of two data points."""
    i, j = np.triu_indices(p.size, 0)
    simple = np.unique((p[i] + p[j]) / 2)
    if simple.size == 1:
        return np.abs(points - simple[0]) <= tol
    pos = np.clip(np.searchsorted(simple, points), 1, simple.size - 1)
    return (np.abs(simple[pos] - points) <= tol) | (np.abs(simple[pos - 1] - points) <= tol)


def _classify(
    c: NDArray, p: NDArray, tol: float, block: int = 50_000
) -> tuple[NDArray[np.int_], NDArray[np.bool_], NDArray[np.bool_]]:
    """Kind code of each column, validity of its ``2^P - 1`` zeros (M, T) and which zeros
    are breakpoints other than data points and midpoints (M, T). In blocks of rows."""
    kinds = np.empty(c.shape[0], dtype=np.int64)
    valid = np.empty((c.shape[0], 2 ** c.shape[1] - 1), dtype=bool)
    active = np.empty_like(valid)
    for start in range(0, c.shape[0], block):
        rows = slice(start, start + block)
        zeros, valid[rows] = _zeros(c[rows], tol)
        simple = _is_simple(zeros, p, tol)
        kinds[rows] = _kinds(zeros, valid[rows], simple, tol)
        active[rows] = valid[rows] & ~simple
    return kinds, valid, active


def _kinds(zeros: NDArray, valid: NDArray, simple: NDArray, tol: float) -> NDArray[np.int_]:
    """``vee`` (one breakpoint), ``midpoint`` (only data points and midpoints of data
    points) or ``reflection`` (some other breakpoint), from the valid zeros (§2.1)."""
    z = np.sort(np.where(valid, zeros, np.inf), axis=1)
    gaps = np.diff(np.where(np.isfinite(z), z, z[:, :1]), axis=1)  # 0 past the last zero
    distinct = 1 + (gaps > tol).sum(axis=1)
    only_simple = (simple | ~valid).all(axis=1)
    return np.where(
        distinct == 1,
        KIND_CODE["vee"],
        np.where(only_simple, KIND_CODE["midpoint"], KIND_CODE["reflection"]),
    ).astype(np.int64)


def _pairs(src: list[NDArray], mir: list[NDArray], tol: float) -> NDArray[np.float64]:
    """Stack candidate pairs (NaN = unused) and compact them to ``(n, MAX_MIRRORS, 2)``."""
    s = np.column_stack(src)
    m = np.column_stack([np.broadcast_to(v, src[0].shape) for v in mir])
    on = np.isfinite(s) & np.isfinite(m)
    return compact_pairs(s, m, on, tol, MAX_MIRRORS)


def _trim(mirrors: NDArray) -> NDArray:
    """Drop trailing all-NaN pair slots (keep at least one)."""
    used = np.isfinite(mirrors[..., 0]).any(axis=0)
    width = max(1, int(np.max(np.nonzero(used)[0]) + 1) if used.any() else 1)
    return mirrors[:, :width]


def _unique_rows(c: NDArray, tol: float) -> NDArray[np.int_]:
    """Indices of the first occurrence of each parameter row (equal up to rounding)."""
    if c.shape[0] == 0:
        return np.zeros(0, dtype=int)
    key = np.round(c / (1e-3 * tol)).astype(np.int64)
    packed = np.ascontiguousarray(key).view(np.dtype((np.void, key.dtype.itemsize * key.shape[1])))
    _, first = np.unique(packed.ravel(), return_index=True)
    return np.sort(first)


def _tol(p: NDArray) -> float:
    """Absolute tolerance: ``REL_TOL`` times the data spread plus a rounding allowance."""
    if p.size == 0:
        return REL_TOL
    spread, size = float(np.ptp(p)), float(np.max(np.abs(p)))
    return REL_TOL * spread + 1e-13 * size + 1e-300
