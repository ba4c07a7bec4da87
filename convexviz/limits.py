"""Every limit and default the app, the URL codec, the engine and the command line share.

One home for each number, so that a link, a typed value, a CSV file and a command-line
argument are accepted or refused alike.

=========================  =========================================================
name                       meaning
=========================  =========================================================
``MAX_POINTS``             training points in any architecture (deep ones allow fewer:
                           ``convexviz.dictionary.max_points``)
``MAX_ABS_VALUE``          largest absolute value of a coordinate and of ``beta``
``MAX_ABS_VALUE_TEXT``     the same number as messages write it (``1e6``)
``DEFAULT_LEAK``           negative slope of ``leaky_relu`` when none is given
``LEAK_RANGE``             slopes accepted for ``leaky_relu`` (closed interval)
``DEFAULT_RANDOM_POINTS``  how many random points the app draws unless told otherwise
``MAX_PLANE_POINTS``       training points of the plane engine (``fit2d``)
``MAX_FIT_SECONDS``        largest *estimated* fit time accepted live (``convexviz.cost``)
``FIT_DEADLINE_SECONDS``   a running fit is stopped after this long (the last guard)
=========================  =========================================================
"""

from __future__ import annotations

#: At most this many training points in any architecture.
MAX_POINTS = 200

#: Coordinates and beta beyond this (in absolute value) are refused.
MAX_ABS_VALUE = 1e6

#: :data:`MAX_ABS_VALUE` as messages write it.
MAX_ABS_VALUE_TEXT = f"{MAX_ABS_VALUE:.0e}".replace("e+0", "e").replace("e+", "e")

#: Negative slope of the leaky ReLU unless another one is chosen.
DEFAULT_LEAK = 0.1

#: Leaky-ReLU slopes accepted everywhere (slider, URL, engine, command line). The interval
#: stays away from 0 (plain ReLU) and 1 (a linear unit), where the leaky ramps degenerate.
LEAK_RANGE = (0.01, 0.99)

#: The app's random data set has this many points unless the student asks for another count.
DEFAULT_RANDOM_POINTS = 12

#: At most this many points in the plane (``fit2d``): N = 50 is solved and certified in about
#: 3 s (``benchmarks/bench_plane.py``); the patterns grow like N^2.
MAX_PLANE_POINTS = 50

#: A 1-D fit is accepted live only if its estimated time (:func:`convexviz.cost.fit_cost`,
#: calibrated on the project's 2-core machine) is at most this many seconds. The target is
#: that every accepted fit finishes within about 1 s; half of it leaves room for the
#: estimate's error and for a machine busy with other students (BENCHMARKS.md, "the cost model").
MAX_FIT_SECONDS = 0.5

#: Every fit (unless the command line's ``--no-limit`` lifts it) stops with a clear error
#: after this many seconds of work: three times the 1 s target, a last guard for estimates
#: that are wrong, never reached by an accepted fit on a quiet machine.
FIT_DEADLINE_SECONDS = 3.0
