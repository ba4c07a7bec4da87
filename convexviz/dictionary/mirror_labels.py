"""Mirror labels of deep absolute-value features: which reflection made each breakpoint.

A breakpoint of a depth-``L`` vertex feature (THEORY_DEEP_ABS.md §2.4) is a fixed affine
combination of the ``P = L - 1`` data points incident to the vertex. To draw it as a
construction ("``x_k`` mirrored at ``x_j``, then at ...") we write that combination, once per
type subset and independently of the data, as a shortest chain of midpoints
``(a + b) / 2`` and mirrorings ``2 m - s`` of data points, and keep it only when each
intermediate image is itself a breakpoint of the feature. :func:`vertex_mirrors` then
evaluates those symbolic ``(source, mirror)`` pairs on the data; :func:`compact_pairs`
stores at most :data:`MAX_MIRRORS` distinct pairs per feature.
"""

from __future__ import annotations

import functools
import itertools

import numpy as np
from numpy.typing import NDArray

from .incidences import lincomb, type_arrays, type_subsets

__all__ = ["MAX_MIRRORS", "compact_pairs", "vertex_mirrors"]

#: At most this many (source, mirror) pairs are stored per column.
MAX_MIRRORS = 4


def vertex_mirrors(
    sid: NDArray, slots: NDArray, valid: NDArray, active: NDArray, tol: float
) -> NDArray:
    """``(source, mirror)`` pairs explaining the breakpoints in ``active`` (M, T).

    ``slots`` are the data points incident to each vertex (one per type of its subset
    ``sid``); each breakpoint type has a fixed symbolic construction from them
    (:func:`_pair_tables`), used when all the breakpoints it passes through are ``valid``.
    Returns shape ``(M, MAX_MIRRORS, 2)``.
    """
    P = slots.shape[1]
    wsrc, wmir, use, need = _pair_tables(P)
    U = wsrc.shape[2]
    src = np.full((sid.size, U), np.nan)
    mir = np.full((sid.size, U), np.nan)
    on = np.zeros((sid.size, U), bool)
    order = np.argsort(sid, kind="stable")  # already sorted in practice (cheap)
    bounds = np.searchsorted(sid[order], np.arange(wsrc.shape[0] + 1))
    for s in np.nonzero(np.diff(bounds))[0]:
        rows = order[bounds[s] : bounds[s + 1]]
        xs_t = slots[rows].T
        src[rows] = lincomb(wsrc[s], xs_t).T
        mir[rows] = lincomb(wmir[s], xs_t).T
        missing = (~valid[rows]).astype(np.int32) @ need[s].T.astype(np.int32)
        explained = active[rows] & (missing == 0)
        on[rows] = (explained.astype(np.int32) @ use[s].astype(np.int32)) > 0
    return compact_pairs(src, mir, on, tol, MAX_MIRRORS)


#: Symbolic points are integer coefficient vectors over the data slots, in units of 1/_DYAD.
_DYAD = 1 << 8


@functools.cache
def _pair_tables(P: int) -> tuple[NDArray, NDArray, NDArray, NDArray]:
    """Per type subset: symbolic pairs ``(w_src, w_mir)``, which breakpoint uses which,
    and which other breakpoints each construction passes through.

    A breakpoint of type ``t`` at a vertex of subset ``s`` is ``<a_t, c> = xs . w`` with
    ``w = a_t M_s^{-1}``, a fixed affine combination of the ``P`` incident data points. We
    write ``w`` as a shortest expression built from data points by midpoints
    ``(a + b) / 2`` and mirrorings ``2 m - s`` and record its mirrorings as pairs
    (weights with non-dyadic denominators, e.g. thirds, have no such expression). A
    construction is kept only if each of its intermediate images is itself a breakpoint
    type of the vertex (``need[s, t, t']``), so that every listed image is a real kink
    whenever those types are valid.

    Returns ``wsrc, wmir`` of shape ``(S, P, U)``, ``use`` ``(S, T, U)`` and ``need``
    ``(S, T, T)``.
    """
    normals, _, _ = type_arrays(P)
    subsets = type_subsets(P)
    T = normals.shape[0]
    weights = np.stack([normals @ minv_t.T for _, minv_t, _ in subsets]) * _DYAD  # (S, T, P)
    keys = np.round(weights).astype(np.int64)
    dyadic = np.all(np.abs(weights - keys) < 1e-6, axis=2)
    found = {key: _decompose(key) for key in {tuple(row) for row in keys[dyadic].tolist()}}
    S = len(subsets)
    need = np.zeros((S, T, T), bool)
    per_subset = []
    for s, rows in enumerate(keys.tolist()):
        type_of = {tuple(row): t for t, row in enumerate(rows) if dyadic[s, t]}
        index: dict[tuple, int] = {}  # pair -> position (insertion ordered)
        uses = []
        for t, row in enumerate(rows):
            construction = found[tuple(row)] if dyadic[s, t] else None
            # Every intermediate image must be another breakpoint type of this vertex.
            images = [
                tuple(2 * m - a for a, m in zip(*pair, strict=True)) for pair in construction or ()
            ]
            if any(img not in type_of for img in images):
                construction = None
            else:
                for img in images:
                    need[s, t, type_of[img]] = True
            uses.append([index.setdefault(pair, len(index)) for pair in construction or ()])
        per_subset.append((list(index), uses))
    U = max(1, max(len(pairs) for pairs, _ in per_subset))
    wsrc, wmir = np.zeros((S, P, U)), np.zeros((S, P, U))
    use = np.zeros((S, T, U), bool)
    for s, (pairs, uses) in enumerate(per_subset):
        for u, (ws, wm) in enumerate(pairs):
            wsrc[s, :, u] = np.array(ws) / _DYAD
            wmir[s, :, u] = np.array(wm) / _DYAD
        for t, mine in enumerate(uses):
            use[s, t, mine] = True
    return wsrc, wmir, use, need


@functools.cache
def _expression_table(P: int) -> tuple[dict[tuple, tuple[int, int, tuple]], NDArray, NDArray]:
    """Points reachable from ``P`` data slots by two rounds of midpoints and mirrorings.

    Returns a dict mapping a coefficient vector (integers, units of ``1/_DYAD``) to
    ``(mirrorings, midpoints, pairs)`` of its cheapest construction, plus the keys as an
    array and their integer codes (for vectorized look-ups).
    """
    table: dict[tuple, tuple[int, int, tuple]] = {}
    for s in range(P):
        table[tuple(_DYAD * int(r == s) for r in range(P))] = (0, 0, ())
    for _ in range(2):
        items = list(table.items())
        new: dict[tuple, tuple[int, int, tuple]] = {}
        for (a, ea), (b, eb) in itertools.product(items, items):
            if a == b:
                continue
            base = _merge(ea[2], eb[2])
            img = tuple(2 * bi - ai for ai, bi in zip(a, b, strict=True))
            _offer(new, img, (len(base) + 1, ea[1] + eb[1], (*base, (a, b))))
            if a < b and all((ai + bi) % 2 == 0 for ai, bi in zip(a, b, strict=True)):
                mid = tuple((ai + bi) // 2 for ai, bi in zip(a, b, strict=True))
                _offer(new, mid, (len(base), ea[1] + eb[1] + 1, base))
        for key, val in new.items():
            _offer(table, key, val)
    keys = np.array(list(table), dtype=np.int64)
    return table, keys, np.sort(_codes(keys))


def _member(values: NDArray, sorted_codes: NDArray) -> NDArray[np.bool_]:
    pos = np.minimum(np.searchsorted(sorted_codes, values), sorted_codes.size - 1)
    return sorted_codes[pos] == values


def _codes(rows: NDArray) -> NDArray[np.int64]:
    """Injective integer code of small integer vectors (entries within +-2^14)."""
    base = np.int64(1 << 15)
    codes = np.zeros(rows.shape[0], dtype=np.int64)
    for col in range(rows.shape[1]):
        codes = codes * base + (rows[:, col] + (1 << 14))
    return codes


def _merge(a: tuple, b: tuple) -> tuple:
    return a + tuple(pair for pair in b if pair not in a)


def _offer(table: dict, key: tuple, val: tuple) -> None:
    old = table.get(key)
    if old is None or val[:2] < old[:2]:
        table[key] = val


def _decompose(w: tuple) -> tuple | None:
    """Cheapest construction of ``w``: its list of ``(source, mirror)`` pairs.

    Looks ``w`` up in :func:`_expression_table`, else tries one more mirroring
    ``w = 2 m - s`` or midpoint ``w = (a + b) / 2`` of two table points. ``None`` if no
    construction of that size exists.
    """
    table, keys, codes = _expression_table(len(w))
    if w in table:
        return table[w][2]
    other = 2 * keys - np.array(w)  # mirror: s = 2m - w; midpoint: b = 2w - m
    best = None
    hits = [np.nonzero(_member(_codes(v), codes))[0] for v in (other, -other)]
    for e in hits[0]:
        m, s = tuple(keys[e].tolist()), tuple(other[e].tolist())
        if s != m:
            em, es = table[m], table[s]
            base = _merge(es[2], em[2])
            cand = (len(base) + 1, es[1] + em[1], (*base, (s, m)))
            best = cand if best is None or cand[:2] < best[:2] else best
    for e in hits[1]:
        m, b = tuple(keys[e].tolist()), tuple((-other[e]).tolist())
        if b != m:
            em, eb = table[m], table[b]
            base = _merge(em[2], eb[2])
            cand = (len(base), em[1] + eb[1] + 1, base)
            best = cand if best is None or cand[:2] < best[:2] else best
    return None if best is None else best[2]


def compact_pairs(src: NDArray, mir: NDArray, on: NDArray, tol: float, width: int) -> NDArray:
    """The first ``width`` used pairs of each row, without degenerate (``source ==
    mirror``) or repeated ones: array ``(n, width, 2)``, NaN where unused."""
    n = src.shape[0]
    out = np.full((n, width, 2), np.nan)
    count = np.zeros(n, dtype=np.int64)
    on = on & (np.abs(src - mir) > tol)
    open_rows = np.arange(n)  # rows with a free slot
    for u in range(src.shape[1]):
        rows = open_rows[on[open_rows, u]]
        s_u, m_u = src[rows, u], mir[rows, u]
        fresh = np.ones(rows.size, bool)
        for k in range(width):  # compare with the pairs already stored
            fresh &= ~(
                (np.abs(out[rows, k, 0] - s_u) <= tol) & (np.abs(out[rows, k, 1] - m_u) <= tol)
            )
        rows, slot = rows[fresh], count[rows[fresh]]
        out[rows, slot, 0] = s_u[fresh]
        out[rows, slot, 1] = m_u[fresh]
        count[rows] += 1
        open_rows = open_rows[count[open_rows] < width]
        if open_rows.size == 0:
            break
    return out
