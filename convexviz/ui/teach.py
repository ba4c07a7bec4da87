"""The teaching panels below the network, as plain data: every optimal network, the closed
forms beside the solver's numbers, and the problem as code (issue 8, items 3-5).

``app.py`` turns these into widgets; nothing here imports Streamlit. The costly parts are
computed once per fit and kept in small process-wide memos keyed like
:mod:`convexviz.ui.fitmemo` (by the data, the architecture and beta; the values are frozen
results and strings, shared read-only between sessions):

* the search for every optimal network (:func:`optima_job`): tens of milliseconds for ReLU
  at any depth, up to a minute for abs depth 5, so it runs in a small thread pool, by
  itself for dictionaries up to :data:`AUTO_MAX_FEATURES` and on request beyond;
* the cvxpy script (:func:`script`): up to seconds and megabytes for the largest
  dictionaries, so it is made only when downloaded or shown.

>>> from convexviz import Architecture, fit
>>> r = fit([0, 4, 5, 7, 10, 11], [0, 0, 0, 2, 3, 3], Architecture("relu", 4), 1e-3)
>>> found = optima(r)
>>> found.unique, found.names[:2]
(False, ('sparsest', 'fewest reflections'))
>>> choose(found.names, "fewest reflections"), choose(found.names, "gone")
('fewest reflections', 'sparsest')
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import TypeVar

from ..closed_forms import closed_forms
from ..export import DOWNLOADS, cvxpy_script, file_name, fit_json, points_csv
from ..features import fmt
from ..fit import FitResult
from ..optimal_set import OptimalNetwork, alternative_optima, is_unique

T = TypeVar("T")

#: At most this many characters of the script are shown on the page (the download has all).
MAX_SHOWN_SCRIPT_CHARS = 60_000


def fit_key(result: FitResult) -> Hashable:
    """What identifies a fit: its points (in order), architecture and beta."""
    points = tuple(zip(result.x.tolist(), result.y.tolist(), strict=True))
    return points, result.architecture, float(result.lasso.beta)


class FitKeyedMemo:
    """A small thread-safe LRU of values computed from one fit (:func:`fit_key`).

    Two sessions asking at once may both compute (the values are pure; the second simply
    replaces the first): the app's panels ask once per fit, not per click.

    >>> memo = FitKeyedMemo(max_entries=1)
    >>> calls = []
    >>> compute = lambda r: calls.append(r) or len(calls)
    >>> class R:  # a stand-in with what fit_key reads
    ...     import numpy as np
    ...     x = y = np.zeros(2)
    ...     architecture, lasso = "a", type("L", (), {"beta": 1.0})
    >>> memo.get(R, compute), memo.get(R, compute), len(calls)
    (1, 1, 1)
    """

    def __init__(self, max_entries: int) -> None:
        if max_entries < 1:
            raise ValueError(f"max_entries must be at least 1, got {max_entries}")
        self._max = max_entries
        self._lock = threading.Lock()
        self._done: OrderedDict[Hashable, object] = OrderedDict()

    def peek(self, result: FitResult) -> object | None:
        """The value kept for this fit, or ``None`` (without computing it)."""
        with self._lock:
            return self._done.get(fit_key(result))

    def get(self, result: FitResult, compute: Callable[[FitResult], T]) -> T:
        """``compute(result)``, from the memo when this fit was seen before."""
        key = fit_key(result)
        with self._lock:
            if key in self._done:
                self._done.move_to_end(key)
                return self._done[key]  # type: ignore[return-value]
        value = compute(result)
        with self._lock:
            self._done[key] = value
            while len(self._done) > self._max:
                self._done.popitem(last=False)
        return value


# ---------------------------------------------------------------- every optimal network
@dataclass(frozen=True)
class Optima:
    """Whether a fit's optimal network is unique (with the reason) and, if not, the
    distinct optimal networks found (:func:`convexviz.optimal_set.alternative_optima`)."""

    unique: bool
    reason: str
    alternatives: tuple[OptimalNetwork, ...]

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(a.name for a in self.alternatives)

    def named(self, name: str) -> tuple[int, OptimalNetwork]:
        """Index and network called ``name`` (the first one if there is no such name)."""
        index = self.names.index(name) if name in self.names else 0
        return index, self.alternatives[index]


def _optima(result: FitResult) -> Optima:
    verdict = is_unique(result)
    alternatives = () if verdict.unique else alternative_optima(result)
    return Optima(verdict.unique, verdict.reason, alternatives)


def optima(result: FitResult) -> Optima:
    """:class:`Optima` of ``result``, computed once per fit (alternatives only if needed)."""
    return optima_job(result, start=True).result()  # type: ignore[union-attr]


#: Up to this many distinct features the search starts by itself: well under a second
#: (ReLU at every depth, abs up to depth 3 and sign / threshold trees on up to 20 points).
#: Larger dictionaries (abs depth 4 and 5) take seconds to a minute: the student asks.
AUTO_MAX_FEATURES = 2_000

#: Searches run here, off the page's script thread (two at a time on the whole server).
_SEARCHES = ThreadPoolExecutor(max_workers=2, thread_name_prefix="convexviz-optima")
_JOBS = FitKeyedMemo(max_entries=64)
_JOBS_LOCK = threading.Lock()


def starts_by_itself(result: FitResult) -> bool:
    """Whether the search for every optimal network is cheap enough to run unasked."""
    return result.dictionary.size <= AUTO_MAX_FEATURES


def optima_job(result: FitResult, start: bool) -> Future | None:
    """The search for ``result``'s optimal networks, running or done (a future of
    :class:`Optima`); started if ``start``, else ``None`` when it was never started.

    One search per fit for the whole server (the first caller starts it, later callers
    get the same future), run in a small thread pool so the page never waits for it.
    """
    with _JOBS_LOCK:  # submitting is quick: hold the lock so that one search starts
        job = _JOBS.peek(result)
        if job is None and start:
            job = _JOBS.get(result, lambda r: _SEARCHES.submit(_optima, r))
    return job  # type: ignore[return-value]


def choose(names: tuple[str, ...], previous: str | None) -> str:
    """The alternative to show: the one the student chose before if the new fit has it
    too (e.g. "fewest reflections" after a point moved), else the first (the sparsest)."""
    return previous if previous in names else names[0]


def alternative_caption(result: FitResult, alt: OptimalNetwork) -> str:
    """Neurons, reflections, and the objective beside the certified optimum (8 digits)."""
    n, k = alt.n_neurons, alt.n_reflections
    return (
        f"**{alt.name}**: {n} neuron{'s' * (n != 1)}, {k} reflection{'s' * (k != 1)}. "
        f"{alt.description} Its objective **{alt.objective:.8g}**, the certified optimum "
        f"**{result.lasso.objective:.8g}**."
    )


def alternative_rows(alt: OptimalNetwork) -> list[dict[str, str]]:
    """One row per neuron of an alternative: its feature and coefficient."""
    return [
        {"neuron": str(k), "feature": f.label, "coefficient": fmt(c)}
        for k, (f, c) in enumerate(zip(alt.features, alt.coefs, strict=True), start=1)
    ]


# ---------------------------------------------------------------- closed forms
def closed_form_lines(result: FitResult) -> list[str]:
    """:func:`closed_form_rows` as Markdown, two lines each: the value beside the solver's
    number with the status label, then the formula (in a code span; the words defining its
    symbols after it)."""
    lines = []
    for row in closed_form_rows(result):
        formula, _, where = row["closed form"].partition(", with ")
        lines.append(
            f"**{row['quantity']} = {row['value']}**; the solver: {row['solver']}. "
            f"{row['status']}  \n`{formula}`" + (f", with {where}" if where else "")
        )
    return lines


def closed_form_rows(result: FitResult) -> list[dict[str, str]]:
    """The closed forms of THEORY.md §7 for this fit, each beside the number it checks.

    ``β_max`` beside the solver's ``β_max`` (the end of the β slider); the ``β → 0`` limit
    of ``objective / β`` (the smallest ``||z||_1`` of a network through every point)
    beside ``objective / β`` at the current β, which tends to it as β shrinks.
    """
    rows = []
    for form in closed_forms(result):
        if form.name == "β_max":
            solver, what = result.beta_max, "β_max"
        else:
            solver, what = result.lasso.objective / result.lasso.beta, "objective / β now"
        rows.append(
            {
                "quantity": form.name,
                "closed form": form.formula,
                "value": fmt(form.value),
                "solver": f"{what} = {fmt(solver)}",
                "status": f"{form.label} {form.source}",
            }
        )
    return rows


# ---------------------------------------------------------------- the problem as code
@dataclass(frozen=True)
class DownloadSpec:
    """One download button: its label, file name, MIME type, and the content (made on
    demand: the script of a large dictionary takes seconds)."""

    label: str
    file_name: str
    mime: str
    content: Callable[[], str]
    key: str


_SCRIPTS = FitKeyedMemo(max_entries=4)  # up to a few MB each for the largest dictionaries


def script(result: FitResult) -> str:
    """The standalone cvxpy script of ``result`` (:func:`convexviz.export.cvxpy_script`),
    computed once per fit."""
    return _SCRIPTS.get(result, cvxpy_script)


def shown_script(text: str) -> tuple[str, bool]:
    """The script as shown on the page, and whether it was cut to
    :data:`MAX_SHOWN_SCRIPT_CHARS` (at a line end)."""
    if len(text) <= MAX_SHOWN_SCRIPT_CHARS:
        return text, False
    cut = text.rfind("\n", 0, MAX_SHOWN_SCRIPT_CHARS)
    return text[: cut + 1] + "# ... (cut here: download the script for the rest)\n", True


def fit_json_text(result: FitResult) -> str:
    """The fit as JSON text (``fit --json`` plus the network's weights)."""
    return json.dumps(fit_json(result), indent=1) + "\n"


def points_csv_text(result: FitResult) -> str:
    """The points as CSV text (header ``x,y``, exact floats)."""
    return points_csv(result.x, result.y)


def downloads(result: FitResult) -> tuple[DownloadSpec, ...]:
    """The three downloads of the panel, in the order shown."""

    def spec(label: str, fmt_: str, content: Callable[[FitResult], str]) -> DownloadSpec:
        return DownloadSpec(
            label,
            file_name(result, fmt_),
            DOWNLOADS[fmt_].mime,
            lambda: content(result),
            f"w_download_{fmt_}",
        )

    return (
        spec("cvxpy script (.py)", "cvxpy", script),
        spec("fit as JSON, with the weights", "json", fit_json_text),
        spec("points as CSV", "csv", points_csv_text),
    )
