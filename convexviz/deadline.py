"""A time budget for one fit, checked cooperatively between and inside the solver's steps.

:func:`convexviz.fit.fit` refuses fits whose *estimated* cost is too high before doing any
work (:mod:`convexviz.cost`); the deadline is the last guard for the estimate being wrong
(an unlucky data set, a busy machine). Nothing is interrupted from outside: the build, the
interior-point iterations, the polish and the certificate call :meth:`Deadline.check` at
points where stopping is safe, and a check that finds the budget spent raises
:class:`FitDeadlineError`. A check costs one clock read.

>>> d = Deadline.start(10.0, "relu depth 2 with 6 points")
>>> d.check("the build")  # plenty of time left: nothing happens
>>> Deadline.start(-1.0, "abs depth 5 with 13 points").check("the solve")
Traceback (most recent call last):
...
convexviz.deadline.FitDeadlineError: abs depth 5 with 13 points took longer than ...
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace

#: The clock every deadline reads (a module attribute so that tests can drive it).
_clock = time.perf_counter


class FitDeadlineError(ValueError):
    """A fit ran out of its time budget and was stopped (the message says what to reduce).

    A ``ValueError`` like every other refusal, so the page shows the sentence and the
    command line exits with code 2; ``stage`` names the step that noticed, ``budget_s`` is
    the budget in seconds. ``transient``: it depends on how busy the machine was, not only on
    the inputs, so a memo of fits must not keep it as the answer for these inputs.
    """

    transient = True

    def __init__(self, context: str, stage: str, budget_s: float) -> None:
        super().__init__(
            f"{context} took longer than {_seconds_text(budget_s)} and was stopped (during "
            f"{stage}): use fewer points, a smaller depth or a larger beta"
        )
        self.context = context
        self.stage = stage
        self.budget_s = budget_s

    def __reduce__(self):
        """Pickle by the constructor's arguments (the error crosses the fit pool's processes)."""
        return type(self), (self.context, self.stage, self.budget_s)


@dataclass(frozen=True)
class Deadline:
    """The moment (on the :func:`time.perf_counter` clock) a fit must stop by.

    Attributes
    ----------
    budget_s : float
        The whole budget in seconds, for messages.
    expires_at : float
        ``perf_counter()`` value after which :meth:`check` raises.
    context : str
        What is being fitted, in words ("abs depth 5 with 13 points"), for messages.
    """

    budget_s: float
    expires_at: float
    context: str = "the fit"

    @classmethod
    def start(cls, budget_s: float, context: str = "the fit") -> Deadline:
        """A deadline ``budget_s`` seconds from now."""
        return cls(float(budget_s), _clock() + float(budget_s), context)

    def remaining(self) -> float:
        """Seconds left (negative once expired)."""
        return self.expires_at - _clock()

    def check(self, stage: str) -> None:
        """Raise :class:`FitDeadlineError` if the budget is spent; ``stage`` names the step.

        Raises
        ------
        FitDeadlineError
        """
        if _clock() > self.expires_at:
            raise FitDeadlineError(self.context, stage, self.budget_s)

    def extended(self, seconds: float) -> Deadline:
        """The same deadline moved ``seconds`` later (time spent waiting, not working)."""
        return replace(self, expires_at=self.expires_at + max(0.0, float(seconds)))


def check(deadline: Deadline | None, stage: str) -> None:
    """:meth:`Deadline.check` when there is a deadline; nothing without one."""
    if deadline is not None:
        deadline.check(stage)


def _seconds_text(seconds: float) -> str:
    """``3 s``, ``0.5 s``: a budget as a sentence writes it."""
    return f"{seconds:.0f} s" if seconds >= 1 else f"{seconds:.1g} s"
