"""What is known about each architecture's Lasso: one table, keyed by (activation, depth).

The app, the command line and the dictionaries' ``note`` all take their theory text from
:func:`notes`. Every statement starts with the status label of the document it comes from
(``/work/shared`` specs, quoted by section):

==========================  ==============================================================
label                       meaning
==========================  ==============================================================
``[PROVED-HERE]``           THEORY.md gives a proof, and it was also checked numerically
``[PROVED]``                THEORY_DEEP_ABS.md gives a proof, also checked numerically
``[NUMERICAL]``             checked by computation only (enumeration, LPs), no proof
``[CODE]``                  taken from the authors' reference code (paper v2)
``[PAPER-CLAIM, UNREAD]``   stated in a paper's abstract; the theorem itself was not read
==========================  ==============================================================

Deep narrow ReLU chains, the one place where the code and the theory could be confused:
the reference code stops at depth 4; for every depth ``L >= 5`` the dictionary is the
depth-4 one, each chain padded with ``L - 4`` identity layers ``relu(g - 0)``
(:func:`convexviz.dictionary.narrow_relu.narrow_relu_columns`). The capped-ramp lemma of
THEORY.md §4.3 makes that exact for the optimal *value*: every narrow ReLU chain is a
constant plus a capped ramp, so depth 3, depth 4 and every deeper net reach the same
optimum.
"""

from __future__ import annotations

from dataclasses import dataclass

from .architecture import MAX_DEPTH

#: Every status label, as the specs write them.
LABELS = ("[PROVED-HERE]", "[PROVED]", "[NUMERICAL]", "[CODE]", "[PAPER-CLAIM, UNREAD]")


@dataclass(frozen=True)
class _Entry:
    """Statements that hold for ``activations`` at every depth in ``depths``.

    Texts are ``str.format`` templates: ``{act}`` is the activation name, ``{depth}`` the
    depth ``L`` and ``{prev}`` is ``L - 1``.
    """

    activations: tuple[str, ...]
    depths: range
    texts: tuple[str, ...]


def _depths(first: int, last: int) -> range:
    """Depths ``first..last`` inclusive."""
    return range(first, last + 1)


_TREES = ("sign", "threshold")

_TABLE = (
    # Two layers (THEORY.md §2, §3).
    _Entry(
        ("relu",),
        _depths(2, 2),
        (
            "[PROVED-HERE] A two-layer ReLU net is a Lasso over ramps (x − x_j)+ and "
            "(x_j − x)+ breaking at the training points (THEORY.md §2).",
        ),
    ),
    _Entry(
        ("leaky_relu",),
        _depths(2, 2),
        (
            "[PROVED-HERE] A two-layer leaky-ReLU net is a Lasso over leaky ramps breaking at "
            "the training points (THEORY.md §2).",
        ),
    ),
    _Entry(
        ("abs",),
        _depths(2, 2),
        (
            "[PROVED-HERE] A two-layer absolute-value net is a Lasso over vees |x − x_j| "
            "breaking at the training points (THEORY.md §2).",
        ),
    ),
    _Entry(
        _TREES,
        _depths(2, 2),
        (
            "[PROVED-HERE] A two-layer {act} net is a Lasso over steps switching between "
            "consecutive training points (THEORY.md §3).",
        ),
    ),
    # Deep narrow ReLU chains (THEORY.md §4).
    _Entry(
        ("relu",),
        _depths(3, 3),
        (
            "[PROVED-HERE] Parallel narrow ReLU chains of depth 3 are a Lasso over ramps and "
            "capped ramps between two training points (THEORY.md §4.3).",
        ),
    ),
    _Entry(
        ("relu",),
        _depths(4, 4),
        (
            "[CODE] Depth 4 is the reference code's dictionary: the depth-3 capped ramps plus "
            "reflection features, whose break is a training point mirrored at another one "
            "(THEORY.md §4.2).",
        ),
    ),
    _Entry(
        ("relu",),
        _depths(4, MAX_DEPTH["relu"]),
        (
            "[PROVED-HERE] Capped-ramp lemma: every narrow ReLU chain is a constant plus a "
            "capped ramp, so depth {depth} reaches the same optimal value as depth 3; "
            "reflections only add other optimal curves, sometimes with fewer neurons "
            "(THEORY.md §4.3; our result, not the paper's).",
        ),
    ),
    _Entry(
        ("relu",),
        _depths(5, MAX_DEPTH["relu"]),
        (
            "[PROVED-HERE] Depth {depth} uses the depth-4 dictionary, each chain padded with "
            "identity layers into a genuine depth-{depth} chain; by the lemma no deeper "
            "chain does better, so the optimum shown is the depth-{depth} optimum "
            "(THEORY.md §4.5).",
            "[PAPER-CLAIM, UNREAD] Deeper nets may have further optimal curves "
            "(‘reflections of reflections’); they are not in this dictionary, so other "
            "optimal networks may exist (THEORY.md §4.5).",
        ),
    ),
    # Narrow absolute-value chains (THEORY.md §5, THEORY_DEEP_ABS.md).
    _Entry(
        ("abs",),
        _depths(3, 3),
        (
            "[PROVED-HERE] Depth-3 absolute-value chains are a Lasso over vees, reflections "
            "(a break at a training point mirrored at another one) and midpoint features "
            "(THEORY.md §5).",
            "[NUMERICAL] Both the reflection and the midpoint families are needed "
            "(LP checks, THEORY.md §5).",
        ),
    ),
    _Entry(
        ("abs",),
        _depths(4, MAX_DEPTH["abs"]),
        (
            "[PROVED] The dictionary is complete: the Lasso optimum equals the optimum of a "
            "parallel network of depth-{depth} chains with penalty (β/{depth}) Σ|w|^{depth}, "
            "free biases and at least N − 1 units (THEORY_DEEP_ABS.md §2.2).",
        ),
    ),
    _Entry(
        ("abs",),
        _depths(4, 4),
        (
            "[PROVED] At depth 4 the dictionary is the union of seven closed-form families "
            "(CKZ, CZZ, KKZ, KZZ_sym, KZZ_quarter, KZZ_shift, ZZZ): reflections of training "
            "points at training points and at their reflections, e.g. 2(2x_i − x_j) − x_k "
            "(THEORY_DEEP_ABS.md §3.2).",
            "[NUMERICAL] The seven families give the same columns as the general vertex "
            "enumeration, and each family is needed on some data sets (THEORY_DEEP_ABS.md "
            "§3.2, §4).",
        ),
    ),
    _Entry(
        ("abs",),
        _depths(5, MAX_DEPTH["abs"]),
        (
            "[PROVED] Depth {depth} has no closed forms: the dictionary is the general "
            "cell-vertex enumeration, which contains the depth-{prev} dictionary, so the "
            "optimum never increases with depth (THEORY_DEEP_ABS.md §2.3, §2.4). Its size "
            "grows like N^{prev}, hence the small point limit.",
            "[NUMERICAL] Completeness was also confirmed by LPs on small data sets "
            "(THEORY_DEEP_ABS.md §5).",
        ),
    ),
    _Entry(
        ("abs",),
        _depths(4, MAX_DEPTH["abs"]),
        (
            "[NUMERICAL] With {depth} or fewer points depth {depth} never beat depth {prev} "
            "in our tests (a conjecture, THEORY_DEEP_ABS.md §6).",
        ),
    ),
    # Sign / threshold trees (THEORY.md §6).
    _Entry(
        _TREES,
        _depths(3, MAX_DEPTH["sign"]),
        (
            "[PROVED-HERE] In a {act} tree with branching m_1, …, m_{{L−2}} a top unit "
            "switches only where one of its K = m_1 ⋯ m_{{L−2}} leaf units switches, so its "
            "patterns have at most K switches (THEORY.md §6).",
        ),
    ),
    _Entry(
        _TREES,
        _depths(3, 3),
        (
            "[PROVED-HERE] At depth 3 every pattern with at most K switches is reachable: "
            "the Lasso over them is exact (THEORY.md §6).",
        ),
    ),
    _Entry(
        _TREES,
        _depths(4, 4),
        (
            "[NUMERICAL] That every pattern with at most K switches is reachable at depth 4 "
            "was checked exhaustively only for N = 7 and branchings (1, 2), (2, 2), (3, 2), "
            "(1, 3); where some were not, the Lasso would only be a lower bound "
            "(THEORY.md §6).",
        ),
    ),
    _Entry(
        _TREES,
        _depths(5, MAX_DEPTH["sign"]),
        (
            "[PAPER-CLAIM, UNREAD] The paper's abstracts state a Lasso for {act} trees of any "
            "depth; that every pattern with at most K switches is reachable at depth "
            "{depth} is neither proved nor checked here (THEORY.md §6, §10).",
        ),
    ),
)


def notes(activation: str, depth: int) -> tuple[str, ...]:
    """The theory statements behind the fit of ``(activation, depth)``, each once.

    Each statement starts with its status label (one of :data:`LABELS`) and names the
    section of the spec it comes from.

    Parameters
    ----------
    activation : str
        A key of :data:`convexviz.activations.ACTIVATIONS`.
    depth : int
        Number of weight layers ``L``.

    Returns
    -------
    tuple of str
        Empty for an architecture that is not supported (``Architecture`` says why).

    Examples
    --------
    >>> from convexviz import theory
    >>> [note[: note.index("]") + 1] for note in theory.notes("relu", 6)]
    ['[PROVED-HERE]', '[PROVED-HERE]', '[PAPER-CLAIM, UNREAD]']
    >>> theory.notes("relu", 6)[1][:61]
    '[PROVED-HERE] Depth 6 uses the depth-4 dictionary, each chain'
    >>> theory.notes("leaky_relu", 3)
    ()
    """
    if activation not in MAX_DEPTH or not 2 <= depth <= MAX_DEPTH[activation]:
        return ()
    fields = {"act": activation, "depth": depth, "prev": depth - 1}
    return tuple(
        text.format(**fields)
        for entry in _TABLE
        if activation in entry.activations and depth in entry.depths
        for text in entry.texts
    )
