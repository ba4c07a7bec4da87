"""Non-convex training of the parallel architecture never beats the Lasso (THEORY.md §9 V2)."""

from __future__ import annotations

import numpy as np
import pytest

from convexviz import Architecture, fit
from convexviz.training import (
    ParallelParams,
    forward,
    init_params,
    objective_and_grad,
    train_parallel,
)
from tests import reference as ref

X, Y, BETA = ref.V2_DATA["d2"]  # N = 5, beta = 0.1
X_ARR, Y_ARR = np.asarray(X, float), np.asarray(Y, float)


def lasso_optimum(act: str, depth: int) -> float:
    return fit(X, Y, Architecture(act, depth), BETA).lasso.objective


@pytest.mark.parametrize(
    ("act", "depth", "steps"),
    [("relu", 2, 1500), ("leaky_relu", 2, 600), ("abs", 2, 600), ("relu", 3, 600),
     ("abs", 3, 600), ("relu", 4, 600)],
)  # fmt: skip
def test_training_never_goes_below_the_lasso(act, depth, steps):
    optimum = lasso_optimum(act, depth)
    results = [
        train_parallel(X, Y, act, depth, BETA, width=20, steps=steps, seed=seed)
        for seed in range(3)
    ]
    for r in results:
        assert r.objective >= optimum * (1 - 1e-6)
        assert np.all(r.history >= optimum * (1 - 1e-6))
        # The reported objective is that of the returned parameters.
        value, _ = objective_and_grad(r.params, X_ARR, Y_ARR, act, BETA)
        assert r.objective == pytest.approx(value, rel=1e-12)
        # Training made progress from the start.
        assert r.objective < r.history[0]
    if (act, depth) == ("relu", 2):
        # Two-layer ReLU: Adam reaches the global optimum to within a few percent.
        best = min(r.objective for r in results)
        assert best <= optimum * 1.01
        assert max(r.objective for r in results) <= optimum * 1.05


def test_trained_network_is_evaluated_consistently():
    r = train_parallel(X, Y, "abs", 3, BETA, width=8, steps=50, seed=1)
    grid = np.linspace(-3, 3, 13)
    np.testing.assert_allclose(r.predict(grid), forward(r.params, grid, "abs"))
    residual = r.predict(X_ARR) - Y_ARR
    p = r.params
    penalty = BETA / 3 * (np.sum(np.abs(p.weights) ** 3) + np.sum(np.abs(p.alpha) ** 3))
    assert r.objective == pytest.approx(0.5 * residual @ residual + penalty, rel=1e-12)


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
    trained = train_parallel(X, Y, "relu", 3, BETA, steps=200, lr=1e-3, init=params)
    assert trained.objective >= result.lasso.objective * (1 - 1e-6)
    assert trained.objective <= value * (1 + 1e-9)  # best-so-far includes the start


@pytest.mark.parametrize(
    ("act", "depth"),
    [("relu", 2), ("leaky_relu", 2), ("abs", 2), ("relu", 3), ("abs", 3), ("relu", 4),
     ("abs", 4), ("leaky_relu", 3)],
)  # fmt: skip
def test_gradient_matches_finite_differences(act, depth):
    rng = np.random.default_rng(depth)
    params = init_params(X_ARR, depth, width=6, rng=rng)
    params = ParallelParams(params.weights, params.biases, params.alpha, 0.3)
    beta, leak = 0.37, 0.2
    _, grad = objective_and_grad(params, X_ARR, Y_ARR, act, beta, leak)
    h = 1e-6
    for name in ("weights", "biases", "alpha"):
        base = getattr(params, name)
        numeric = np.empty_like(base)
        for idx in np.ndindex(base.shape):
            values = []
            for sign in (1, -1):
                shifted = base.copy()
                shifted[idx] += sign * h
                moved = ParallelParams(
                    **{
                        k: (shifted if k == name else getattr(params, k))
                        for k in ("weights", "biases", "alpha")
                    },
                    xi=params.xi,
                )
                values.append(objective_and_grad(moved, X_ARR, Y_ARR, act, beta, leak)[0])
            numeric[idx] = (values[0] - values[1]) / (2 * h)
        np.testing.assert_allclose(getattr(grad, name), numeric, rtol=1e-5, atol=1e-6)
    up = ParallelParams(params.weights, params.biases, params.alpha, params.xi + h)
    down = ParallelParams(params.weights, params.biases, params.alpha, params.xi - h)
    f_up = objective_and_grad(up, X_ARR, Y_ARR, act, beta, leak)[0]
    f_down = objective_and_grad(down, X_ARR, Y_ARR, act, beta, leak)[0]
    assert grad.xi == pytest.approx((f_up - f_down) / (2 * h), rel=1e-6)


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"activation": "sign"}, "training supports relu, leaky_relu, abs"),
        ({"depth": 5}, "training supports depth 2 to 4"),
        ({"beta": 0.0}, "beta must be a positive number"),
        ({"width": 0}, "must be positive"),
        ({"steps": 0}, "must be positive"),
    ],
)
def test_training_rejects_bad_settings(kwargs, fragment):
    with pytest.raises(ValueError, match=fragment):
        train_parallel(X, Y, **kwargs)
    with pytest.raises(ValueError, match="differ in length"):
        train_parallel([0.0, 1.0], [0.0])
