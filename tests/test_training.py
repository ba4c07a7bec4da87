"""Adam on the parallel architecture, beside the certified Lasso optimum (THEORY.md §1, §4.1).

The Lasso optimum is a lower bound for every network of the architecture, whatever its
width: a run that ever went below it would mean a bug in the code or in the theory.
"""

from __future__ import annotations

import threading

import numpy as np
import pytest

from convexviz import Architecture, fit
from convexviz.portable_random import uniforms
from convexviz.training import (
    DEFAULT_SEEDS,
    DEFAULT_STEPS,
    MAX_WORK,
    TRAINABLE_DEPTHS,
    ParallelParams,
    TrainingSetup,
    default_width,
    forward,
    init_params,
    objective_and_grad,
    pack,
    train,
    train_live,
    unpack,
)
from tests import reference as ref

X, Y, BETA = ref.V2_DATA["d2"]  # N = 5, beta = 0.1
X_ARR, Y_ARR = np.asarray(X, float), np.asarray(Y, float)
OPT_X = np.array([0.0, 4, 5, 7, 10, 11])
OPT_Y = np.array([0.0, 0, 0, 2, 3, 3])
TRAINABLE = [(act, depth) for act, depths in TRAINABLE_DEPTHS.items() for depth in depths]


def lower_bound(x, y, act: str, depth: int, beta: float) -> tuple[float, int]:
    """A rigorous lower bound on the Lasso optimum (its dual value) and the optimum's neurons.

    ``objective - duality gap`` is the dual objective at a feasible point, so no network of
    the architecture can go below it; a tiny relative margin covers floating-point rounding.
    """
    result = fit(x, y, Architecture(act, depth), beta)
    bound = result.lasso.objective - max(result.certificate_gap, 0.0)
    return bound * (1 - 1e-9), result.network.n_neurons


def assert_never_below(snapshot, bound: float) -> None:
    assert snapshot.history.min() >= bound
    assert snapshot.objective.min() >= bound
    assert snapshot.best.min() >= bound


@pytest.mark.parametrize(("act", "depth"), TRAINABLE)
def test_training_never_goes_below_the_lasso_on_random_data(act, depth):
    """Random data sets, widths generous and too small, several seeds: never below."""
    rng = np.random.default_rng(100 * depth + len(act))
    for trial in range(3):
        n = int(rng.integers(3, 8))
        x = np.round(rng.uniform(-3, 3, n), 3)
        y = np.round(rng.normal(0, 1, n), 3)
        beta = float(rng.choice([0.02, 0.1, 0.5]))
        bound, neurons = lower_bound(x, y, act, depth, beta)
        for width in (1, max(1, neurons // 2), default_width(n, neurons)):
            setup = TrainingSetup(act, depth, beta, width=width, steps=1500, seeds=(trial, 7))
            final = train(x, y, setup)
            assert_never_below(final, bound)
            # Training made progress from the start (or the start was already the best).
            assert np.all(final.best <= final.history[:, 0])


@pytest.mark.parametrize(("act", "depth"), TRAINABLE)
def test_training_never_goes_below_the_lasso_on_the_reference_data(act, depth):
    bound, neurons = lower_bound(X, Y, act, depth, BETA)
    final = train(X, Y, TrainingSetup(act, depth, BETA, width=20, steps=3000))
    assert_never_below(final, bound)
    if act != "abs" or depth == 2:
        # Two-layer nets and narrow ReLU chains reach the optimum (THEORY.md Table V2);
        # deep abs chains often stall above it (THEORY.md §10.9), so no claim for them.
        assert final.best.min() <= bound * 1.01


def test_default_steps_reach_the_optimum_on_the_papers_opt_data():
    """ReLU depth 2, beta = 0.01, default width, steps, lr and seeds: best within 1 %."""
    bound, neurons = lower_bound(OPT_X, OPT_Y, "relu", 2, 0.01)
    setup = TrainingSetup("relu", 2, 0.01, width=default_width(OPT_X.size, neurons))
    assert setup.steps == DEFAULT_STEPS and len(setup.seeds) == DEFAULT_SEEDS
    final = train(OPT_X, OPT_Y, setup)
    assert_never_below(final, bound)
    assert final.objective.min() <= bound * 1.01


def test_too_narrow_a_network_stays_stuck_above_the_optimum():
    """Two ReLU units cannot bend three times: every start ends far above the optimum."""
    bound, neurons = lower_bound(OPT_X, OPT_Y, "relu", 2, 0.01)
    assert neurons >= 3
    for width in (1, 2):
        final = train(OPT_X, OPT_Y, TrainingSetup("relu", 2, 0.01, width=width, seeds=(0, 1, 2)))
        assert final.best.min() > 2 * bound
    wide = train(OPT_X, OPT_Y, TrainingSetup("relu", 2, 0.01, width=10, seeds=(0, 1, 2)))
    assert wide.best.min() < 1.01 * bound


def test_one_deep_chain_can_reach_an_optimum_that_the_lasso_spells_with_more_neurons():
    """Depth 3 on 'opt': one unit bends twice (a capped ramp with free breaks) and suffices."""
    bound, neurons = lower_bound(OPT_X, OPT_Y, "relu", 3, 0.01)
    assert neurons >= 2
    final = train(OPT_X, OPT_Y, TrainingSetup("relu", 3, 0.01, width=1, seeds=tuple(range(8))))
    assert_never_below(final, bound)
    assert final.best.min() <= 1.001 * bound


def test_reconstructed_lasso_network_is_a_stationary_start():
    """Starting Adam at the Lasso network (one chain per feature) cannot improve it."""
    result = fit(X, Y, Architecture("relu", 3), BETA)
    units = result.network.units
    params = ParallelParams(
        weights=np.array([u.weights for u in units]).T,
        biases=np.array([u.biases for u in units]).T,
        alpha=np.array([u.alpha for u in units]),
        xi=result.network.bias,
    )
    value, _ = objective_and_grad(params, X_ARR, Y_ARR, "relu", BETA)
    assert value == pytest.approx(result.lasso.objective, rel=1e-9)
    setup = TrainingSetup("relu", 3, BETA, width=params.width, steps=200, lr=1e-3, seeds=(0,))
    final = train(X, Y, setup, init=[params])
    assert final.best[0] >= (result.lasso.objective - result.certificate_gap) * (1 - 1e-9)
    assert final.best[0] <= value * (1 + 1e-9)  # best-so-far includes the start


# --------------------------------------------------------------------------------------------
# The objective, its gradient, and the network.


@pytest.mark.parametrize(
    ("act", "depth"),
    [("relu", 2), ("leaky_relu", 2), ("abs", 2), ("relu", 3), ("abs", 3), ("relu", 4),
     ("abs", 4), ("leaky_relu", 3)],
)  # fmt: skip
def test_gradient_matches_finite_differences(act, depth):
    params = init_params(X_ARR, Y_ARR, depth, width=6, seed=depth)
    params = ParallelParams(params.weights, params.biases, params.alpha, 0.3)
    beta, leak = 0.37, 0.2
    _, grad = objective_and_grad(params, X_ARR, Y_ARR, act, beta, leak)
    theta, g = pack(params), pack(grad)
    h = 1e-6
    numeric = np.empty_like(theta)
    for i in range(theta.size):
        up, down = theta.copy(), theta.copy()
        up[i] += h
        down[i] -= h
        f_up = objective_and_grad(unpack(up, depth, 6), X_ARR, Y_ARR, act, beta, leak)[0]
        f_down = objective_and_grad(unpack(down, depth, 6), X_ARR, Y_ARR, act, beta, leak)[0]
        numeric[i] = (f_up - f_down) / (2 * h)
    np.testing.assert_allclose(g, numeric, rtol=1e-5, atol=1e-6)


def test_objective_is_the_loss_plus_the_penalty_of_the_network():
    final = train(X, Y, TrainingSetup("abs", 3, BETA, width=8, steps=50, seeds=(1, 2)))
    for k in range(2):
        p = final.params[k]
        residual = forward(p, X_ARR, "abs") - Y_ARR
        penalty = BETA / 3 * (np.sum(np.abs(p.weights) ** 3) + np.sum(np.abs(p.alpha) ** 3))
        assert final.objective[k] == pytest.approx(0.5 * residual @ residual + penalty, rel=1e-12)
        best_value, _ = objective_and_grad(final.best_params[k], X_ARR, Y_ARR, "abs", BETA)
        assert final.best[k] == pytest.approx(best_value, rel=1e-12)


def test_forward_is_the_sum_of_the_chains():
    p = init_params(X_ARR, Y_ARR, 3, width=4, seed=5)
    grid = np.linspace(-3, 3, 13)
    expected = np.full(grid.shape, p.xi)
    for i in range(4):
        h = grid
        for layer in range(2):
            h = np.abs(p.weights[layer, i] * h + p.biases[layer, i])
        expected += p.alpha[i] * h
    np.testing.assert_allclose(forward(p, grid, "abs"), expected, rtol=1e-13, atol=1e-13)
    assert pack(unpack(pack(p), 3, 4)).tolist() == pack(p).tolist()


# --------------------------------------------------------------------------------------------
# Live progress, reproducibility and the portable start.


def test_snapshots_report_consistent_progress():
    setup = TrainingSetup("relu", 3, BETA, width=5, steps=250, seeds=(4, 9))
    grid = np.linspace(-2, 3, 11)
    snaps = list(train_live(X, Y, setup, chunk=100, grid=grid))
    assert [s.step for s in snaps] == [0, 100, 200, 250]
    assert [s.done for s in snaps] == [False, False, False, True]
    for s in snaps:
        assert s.history.shape == (2, s.step)
        assert s.seeds == (4, 9)
        low = np.minimum(s.history.min(axis=1, initial=np.inf), s.objective)
        np.testing.assert_array_equal(s.best, low)
        for k in range(2):
            np.testing.assert_allclose(s.prediction[k], s.predict(grid, k), rtol=1e-12)
    # Each snapshot's history extends the previous one.
    np.testing.assert_array_equal(snaps[3].history[:, :200], snaps[2].history)
    assert snaps[0].objective.tolist() == snaps[1].history[:, 0].tolist()


def test_runs_depend_only_on_their_seed():
    """Not on chunking, not on the other seeds of the batch; equal calls give equal runs."""
    setup = TrainingSetup("abs", 2, BETA, width=6, steps=300, seeds=(3, 11, 5))
    whole = train(X, Y, setup)
    *_, chunked = train_live(X, Y, setup, chunk=7)
    alone = train(X, Y, TrainingSetup("abs", 2, BETA, width=6, steps=300, seeds=(11,)))
    again = train(X, Y, setup)
    np.testing.assert_array_equal(chunked.history, whole.history)
    np.testing.assert_array_equal(again.objective, whole.objective)
    np.testing.assert_array_equal(alone.history[0], whole.history[1])
    np.testing.assert_array_equal(pack(alone.params[0]), pack(whole.params[1]))


def test_a_background_thread_stops_between_chunks():
    setup = TrainingSetup("relu", 2, BETA, width=8, steps=50_000, seeds=(0,))
    stop, seen = threading.Event(), []

    def worker() -> None:
        for snapshot in train_live(X, Y, setup, chunk=50):
            seen.append(snapshot)
            if snapshot.step >= 100:
                stop.set()
            if stop.is_set():
                break

    thread = threading.Thread(target=worker)
    thread.start()
    thread.join(timeout=30)
    assert not thread.is_alive()
    assert [s.step for s in seen] == [0, 50, 100]


def test_random_start_follows_the_documented_draws():
    """The table in ``init_params``: what a port to another language must reproduce."""
    depth, width, seed = 3, 4, 17
    P, m = depth - 1, width
    p = init_params(OPT_X, OPT_Y, depth, width, seed)
    u = uniforms(seed, 3 * P * m + m)
    span, lo = 11.0, 0.0
    sign = np.where(u[: P * m] < 0.5, 1.0, -1.0)
    w = (sign * (0.5 + u[P * m : 2 * P * m])).reshape(P, m)
    assert p.weights.tolist() == w.tolist()
    breaks = (lo - 0.1 * span) + (1.2 * span) * u[2 * P * m : 2 * P * m + m]
    assert p.biases[0].tolist() == (-w[0] * breaks).tolist()
    assert p.biases[1].tolist() == ((0.5 * span) * u[2 * P * m + m : 3 * P * m]).tolist()
    assert p.alpha.tolist() == (u[3 * P * m :] - 0.5).tolist()
    assert p.xi == OPT_Y.mean()
    # Pinned for a port to another language: seed 0, depth 2, width 2 on the 'opt' data
    # (weights, biases, alpha, xi).
    assert pack(init_params(OPT_X, OPT_Y, 2, 2, 0)).tolist() == [
        0.7232720274478197, 0.6462021479383111, -3.6660686438663133, -3.938374558681628,
        0.11525138444267213, 0.14898537984117866, 1.3333333333333333,
    ]  # fmt: skip


def test_gap_in_percent():
    final = train(X, Y, TrainingSetup(width=3, steps=20, seeds=(0, 1)))
    optimum = float(final.best.min())
    gaps = final.gap_percent(optimum, "best")
    assert gaps.min() == 0.0 and gaps.max() == pytest.approx(
        100 * (final.best.max() - optimum) / optimum
    )
    np.testing.assert_allclose(final.gap_percent(0.5), 100 * (final.objective - 0.5) / 0.5)
    assert final.gap_percent(0.0).tolist() == [np.inf, np.inf]
    with pytest.raises(ValueError, match="which must be"):
        final.gap_percent(0.5, "last")


def test_default_width():
    assert default_width(6, 2) == 7
    assert default_width(6, 5) == 10
    assert default_width(200, 3) == 200
    assert default_width(500, 3) == 200  # clipped to the largest width


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"activation": "sign"}, "training supports relu, leaky_relu, abs"),
        ({"depth": 5}, "training relu supports depth 2, 3, 4"),
        ({"activation": "leaky_relu", "depth": 3}, "training leaky_relu supports depth 2"),
        ({"depth": 2.0}, "supports depth"),
        ({"beta": 0.0}, "beta must be a positive number"),
        ({"beta": float("nan")}, "beta must be a positive number"),
        ({"width": 0}, r"width must be an integer in \[1, 200\]"),
        ({"width": 201}, "width must be"),
        ({"steps": 0}, "steps must be"),
        ({"steps": 50_001}, "steps must be"),
        ({"seeds": ()}, "number of seeds must be"),
        ({"seeds": tuple(range(17))}, "number of seeds must be"),
        ({"seeds": (1, 1)}, "seeds must be distinct"),
        ({"seeds": (-1,)}, "seeds must be integers"),
        ({"lr": 0.0}, "lr must be in"),
        ({"lr": 2.0}, "lr must be in"),
        ({"lr": float("nan")}, "lr must be in"),
        ({"leak": 1.5}, "leak must be in"),
    ],
)
def test_training_rejects_bad_settings(kwargs, fragment):
    with pytest.raises(ValueError, match=fragment):
        TrainingSetup(**kwargs)


def test_training_rejects_bad_data_and_too_much_work():
    with pytest.raises(ValueError, match="differ in length"):
        train([0.0, 1.0], [0.0], TrainingSetup())
    x = np.linspace(0, 1, 200)
    heavy = TrainingSetup("relu", 4, 0.1, width=200, steps=50_000, seeds=tuple(range(16)))
    assert heavy.work(x.size) > MAX_WORK
    with pytest.raises(ValueError, match="too much training"):
        train(x, x, heavy)
    with pytest.raises(ValueError, match="chunk must be"):
        next(train_live(X, Y, TrainingSetup(steps=10), chunk=0))
    with pytest.raises(ValueError, match="init must have depth 2 and width 20"):
        train(X, Y, TrainingSetup(seeds=(0,)), init=[init_params(X_ARR, Y_ARR, 3, 20, 0)])
