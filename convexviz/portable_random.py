"""A tiny counter-based random stream that other languages reproduce bit for bit.

The trainer's random starts are drawn from this stream so that a JavaScript port (or any
language with 32-bit unsigned integer arithmetic) can rebuild exactly the same initial
networks from the same seed.

Algorithm (Mulberry32, public domain, by Tommy Ettinger): with ``C = 0x6D2B79F5`` and all
arithmetic modulo ``2**32``, the ``k``-th draw (``k = 1, 2, ...``) of seed ``s`` is

.. math::

    a &= s + k C, \\\\
    t &= (a \\oplus (a \\gg 15)) \\cdot (a \\mathbin{|} 1), \\\\
    t &= (t + (t \\oplus (t \\gg 7)) \\cdot (t \\mathbin{|} 61)) \\oplus t, \\\\
    u_k &= (t \\oplus (t \\gg 14)) / 2^{32} \\in [0, 1).

The state after ``k`` draws is just ``s + kC``, so the stream is a pure function of the
counter and is computed here for all ``k`` at once. Every ``u_k`` is an integer divided by
``2**32``: exact in IEEE double precision, in Python and in JavaScript alike (where the
same lines read ``Math.imul(a ^ a >>> 15, a | 1)`` etc.).

Only uniforms are offered on purpose: Gaussian draws (Box-Muller) need ``log``, ``cos``
and ``sin``, whose last bit differs between math libraries, which would break the
bit-for-bit promise.

>>> uniforms(0, 3).tolist()
[0.26642920868471265, 0.0003297457005828619, 0.2232720274478197]
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

#: The Weyl increment of Mulberry32.
INCREMENT = 0x6D2B79F5

#: Seeds are unsigned 32-bit integers.
MAX_SEED = 2**32 - 1

_MASK = np.uint64(0xFFFFFFFF)


def uniforms(seed: int, count: int, start: int = 0) -> NDArray[np.float64]:
    """Draws ``start + 1, ..., start + count`` of the Mulberry32 stream of ``seed``.

    Parameters
    ----------
    seed : int
        Seed, ``0 <= seed <= 2**32 - 1``.
    count : int
        Number of draws, ``count >= 0``.
    start : int
        Number of draws to skip (the stream is counter-based, so skipping is free).

    Returns
    -------
    ndarray of shape (count,)
        Uniform numbers in ``[0, 1)``, each a multiple of ``2**-32``.
    """
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer):
        raise ValueError(f"seed must be an integer, got {seed!r}")
    if not 0 <= int(seed) <= MAX_SEED:
        raise ValueError(f"seed must be between 0 and {MAX_SEED}, got {seed}")
    if count < 0 or start < 0:
        raise ValueError("count and start must be nonnegative")
    k = np.arange(start + 1, start + count + 1, dtype=np.uint64)
    a = (np.uint64(seed) + k * np.uint64(INCREMENT)) & _MASK
    t = _mul32(a ^ (a >> np.uint64(15)), a | np.uint64(1))
    t = ((t + _mul32(t ^ (t >> np.uint64(7)), t | np.uint64(61))) & _MASK) ^ t
    t = t ^ (t >> np.uint64(14))
    return t.astype(np.float64) / 4294967296.0


def _mul32(p: NDArray[np.uint64], q: NDArray[np.uint64]) -> NDArray[np.uint64]:
    """Low 32 bits of ``p * q`` for 32-bit ``p, q`` (JavaScript's ``Math.imul``).

    Both factors are below ``2**32``, so their product fits exactly in ``uint64``.
    """
    return (p * q) & _MASK
