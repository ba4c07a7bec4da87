"""The plane engine: the convex program, the rebuilt network and the worst-line certificate."""

from __future__ import annotations

import cvxpy as cp
import numpy as np
import pytest

from convexviz.architecture import Architecture
from convexviz.fit import fit
from convexviz.patterns2d import augmented, enumerate_patterns
from convexviz.plane import fit_plane
from convexviz.plane_network import PlaneNetwork
from convexviz.worst_line import certificate, worst_line


def xor_data(seed: int, n: int) -> tuple[np.ndarray, np.ndarray]:
    """THEORY_2D §6: uniform on [-2, 2]^2, y = sign(x1 x2) + 0.1 N(0, 1)."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(-2, 2, (n, 2))
    y = np.sign(x[:, 0] * x[:, 1]) + 0.1 * rng.normal(size=n)
    return x, y


def plain_cvxpy_optimum(x: np.ndarray, y: np.ndarray, beta: float) -> float:
    """The program of THEORY_2D §3 written independently in cvxpy over all patterns."""
    patterns = enumerate_patterns(x).astype(float)  # (P, N)
    xt = augmented(x)
    u = cp.Variable((len(patterns), 3))
    v = cp.Variable((len(patterns), 3))
    xi = cp.Variable()
    pre_u = xt @ u.T  # (N, P)
    pre_v = xt @ v.T
    d = patterns.T
    fitted = cp.sum(cp.multiply(d, pre_u - pre_v), axis=1) + xi
    penalty = cp.sum(cp.norm(u[:, :2], axis=1)) + cp.sum(cp.norm(v[:, :2], axis=1))
    cones = [cp.multiply(2 * d - 1, pre_u) >= 0, cp.multiply(2 * d - 1, pre_v) >= 0]
    problem = cp.Problem(cp.Minimize(0.5 * cp.sum_squares(fitted - y) + beta * penalty), cones)
    problem.solve(solver=cp.CLARABEL)
    return float(problem.value)


REFERENCE = [(1, 5, 0.126677), (2, 8, 0.277609), (3, 12, 0.382425), (4, 20, 1.717977)]


@pytest.mark.parametrize("method", ["columns", "all"])
@pytest.mark.parametrize(("seed", "n", "optimum"), REFERENCE)
def test_reference_values_of_theory_2d(seed, n, optimum, method):
    x, y = xor_data(seed, n)
    result = fit_plane(x, y, 0.05, method=method)
    assert result.status == "optimal"
    assert result.objective == pytest.approx(optimum, abs=1e-6)
    assert result.network_objective == pytest.approx(optimum, abs=1e-6)
    assert result.pattern_count == n * n - n + 1


@pytest.mark.parametrize(("seed", "n", "optimum"), REFERENCE)
def test_the_independent_cvxpy_program_gives_the_reference_values(seed, n, optimum):
    assert plain_cvxpy_optimum(*xor_data(seed, n), 0.05) == pytest.approx(optimum, abs=1e-6)


def _more_problems():
    rng = np.random.default_rng(7)
    grid = np.array([(a, b) for a in range(3) for b in range(3)], dtype=float)
    yield "xor9_beta0.3", *xor_data(9, 9), 0.3
    yield "regression", rng.normal(size=(10, 2)), rng.normal(size=10), 0.1
    yield "grid", grid, np.where(grid.sum(axis=1) % 2 == 0, 1.0, -1.0), 0.05
    repeated = np.array([[0, 0], [1, 0], [1, 0], [0, 1], [0.5, 0.5], [2, 1]], dtype=float)
    yield "repeated", repeated, np.array([1.0, -1.0, 0.5, 1.0, -1.0, 0.3]), 0.02
    yield "separable", *_separable(rng), 0.05


def _separable(rng):
    x = rng.uniform(-1, 1, (10, 2))
    return x, np.where(x[:, 0] + 0.5 * x[:, 1] > 0, 1.0, -1.0)


@pytest.mark.parametrize(("name", "x", "y", "beta"), list(_more_problems()), ids=lambda v: "")
def test_both_methods_equal_an_independent_cvxpy_program(name, x, y, beta):
    expected = plain_cvxpy_optimum(x, y, beta)
    for method in ("columns", "all"):
        result = fit_plane(x, y, beta, method=method)
        assert result.status == "optimal", name
        assert result.objective == pytest.approx(expected, rel=1e-6, abs=1e-8), name
        assert result.network_objective == pytest.approx(expected, rel=1e-6, abs=1e-8), name


@pytest.mark.parametrize(("seed", "n"), [(4, 20), (12, 15), (13, 25)])
def test_rebuilt_network_is_small_exact_and_certified(seed, n):
    x, y = xor_data(seed, n)
    result = fit_plane(x, y, 0.05)
    net = result.network
    assert net.width <= n + 1
    assert result.patterns_used <= net.width
    # the network is within its certified gap of the optimum (up to the solver's own
    # tolerance: the interior point's value may sit ~1e-9 below), and the gap is tiny
    assert 0 <= result.duality_gap <= 1e-6 * result.objective
    assert result.objective <= result.network_objective
    assert (
        result.network_objective <= result.objective + result.duality_gap + 1e-8 * result.objective
    )
    assert result.certificate.worst_line.magnitude == pytest.approx(0.05, rel=1e-4)
    # the forward pass is the formula
    manual = np.maximum(x @ net.weights.T + net.biases, 0) @ net.alphas + net.offset
    assert np.allclose(net(x), manual)
    # balanced neurons: |w_j| = |alpha_j|
    assert np.allclose(np.linalg.norm(net.weights, axis=1), np.abs(net.alphas))
    # every neuron's line passes through a training point
    distance = np.abs(augmented(x) @ np.column_stack([net.weights, net.biases]).T)
    assert np.all(distance.min(axis=0) <= 1e-7 * np.linalg.norm(net.weights, axis=1))


def test_perturbed_networks_have_a_clearly_positive_gap():
    x, y = xor_data(4, 20)
    result = fit_plane(x, y, 0.05)
    net = result.network
    rng = np.random.default_rng(0)
    for scale in (0.05, 0.2):
        alphas = net.alphas * (1 + scale * rng.normal(size=net.width))
        worse = PlaneNetwork(net.weights, net.biases, alphas, net.offset)
        primal = worse.objective(x, y, 0.05)
        cert = certificate(x, y, worse(x), worse.penalty(0.05), 0.05)
        assert cert.primal == pytest.approx(primal)
        assert cert.duality_gap >= primal - result.objective - 1e-9  # bounds the suboptimality
        assert cert.duality_gap > 1e-3


def test_no_network_of_any_width_goes_below_the_dual_value():
    x, y = xor_data(3, 12)
    result = fit_plane(x, y, 0.05)
    rng = np.random.default_rng(1)
    for width in (1, 3, 30):
        net = PlaneNetwork(
            rng.normal(size=(width, 2)), rng.normal(size=width), rng.normal(size=width), 0.1
        )
        cert = certificate(x, y, net(x), net.penalty(0.05), 0.05)
        assert cert.dual <= result.objective + 1e-9
        assert cert.duality_gap >= 0


@pytest.mark.parametrize(("seed", "n"), [(0, 4), (1, 9), (2, 20), (3, 40)])
def test_worst_line_is_never_exceeded_by_20000_random_lines(seed, n):
    rng = np.random.default_rng(seed)
    x = rng.uniform(-2, 2, (n, 2))
    r = rng.normal(size=n)
    r -= r.mean()
    line = worst_line(x, r)
    attained = np.maximum(x @ np.array(line.w) + line.b, 0) @ r
    assert attained == pytest.approx(line.value, abs=1e-12)
    assert np.linalg.norm(line.w) == pytest.approx(1.0)
    w = rng.normal(size=(20_000, 2))
    w /= np.linalg.norm(w, axis=1, keepdims=True)
    b = -np.einsum("ld,ld->l", w, x[rng.integers(n, size=20_000)])
    b[::2] += rng.normal(scale=0.3, size=10_000)
    values = np.abs(np.maximum(x @ w.T + b, 0).T @ r)
    assert values.max() <= line.magnitude * (1 + 1e-12)
    assert values.max() >= 0.9 * line.magnitude  # the random lines come close: a real check


@pytest.mark.parametrize("beta", [0.05, 0.3])
def test_points_on_one_line_equal_the_one_dimensional_relu_lasso(beta):
    rng = np.random.default_rng(5)
    t = np.sort(rng.uniform(-2, 2, 9))
    y = np.sin(2 * t) + 0.1 * rng.normal(size=9)
    direction = np.array([0.6, 0.8])
    x = np.array([0.3, -0.2]) + t[:, None] * direction
    one_d = fit(t, y, Architecture("relu", 2), beta)
    result = fit_plane(x, y, beta)
    assert result.pattern_count == 2 * 9 - 1
    assert result.objective == pytest.approx(one_d.lasso.objective, rel=1e-7)
    assert result.network_objective == pytest.approx(one_d.network_objective, rel=1e-7)


def test_warm_working_set_after_a_new_point():
    x, y = xor_data(4, 20)
    first = fit_plane(x, y, 0.05)
    x2 = np.vstack([x, [[0.3, -1.2]]])
    y2 = np.append(y, -1.0)
    cold = fit_plane(x2, y2, 0.05)
    assert len(first.working_lines) == len(first.working_set)
    assert np.array_equal(augmented(x) @ first.working_lines.T > 0, first.working_set.T)
    warm = fit_plane(x2, y2, 0.05, warm_lines=first.working_lines)
    assert warm.status == cold.status == "optimal"
    assert warm.objective == pytest.approx(cold.objective, rel=1e-7)
    assert warm.rounds < cold.rounds
    moved = fit_plane(x2[1:], y2[1:], 0.05, warm_lines=warm.working_lines)
    assert moved.objective == pytest.approx(fit_plane(x2[1:], y2[1:], 0.05).objective, rel=1e-7)


@pytest.mark.parametrize(
    ("points", "y", "beta", "message"),
    [
        (np.zeros((3, 3)), np.zeros(3), 0.1, "shape"),
        (np.zeros((3, 2)), np.zeros(2), 0.1, "one value"),
        (np.array([[0, np.nan], [1, 1]]), np.zeros(2), 0.1, "finite"),
        (np.zeros((2, 2)), np.zeros(2), 0.0, "beta"),
    ],
)
def test_bad_input_is_a_value_error(points, y, beta, message):
    with pytest.raises(ValueError, match=message):
        fit_plane(points, y, beta)


def test_unknown_method_is_refused():
    with pytest.raises(ValueError, match="method"):
        fit_plane(np.zeros((2, 2)), np.zeros(2), 0.1, method="sgd")


def test_irredundant_cone_rows_define_the_same_cone():
    from convexviz.plane_program import cone_rows_of
    from convexviz.worst_line import best_lines, line_patterns

    x, y = xor_data(6, 30)
    rng = np.random.default_rng(2)
    u = rng.normal(size=(20_000, 3))
    xt = augmented(x)
    checked = 0
    for line in best_lines(x, y - y.mean(), 10):
        patterns, interiors = line_patterns(x, line)
        for pattern, inside in zip(patterns, interiors, strict=True):
            rows = cone_rows_of(x, pattern, inside)
            assert len(rows) < len(x) // 2
            g = (2.0 * pattern - 1.0)[:, None] * xt
            assert np.all(g @ inside > 0)
            full = np.all(g @ u.T >= 0, axis=0)
            reduced = np.all(g[rows] @ u.T >= 0, axis=0)
            assert np.array_equal(full, reduced)
            # near the interior line too, where the cone is
            near = inside + 0.05 * np.linalg.norm(inside) * rng.normal(size=(5_000, 3))
            assert np.array_equal(
                np.all(g @ near.T >= 0, axis=0), np.all(g[rows] @ near.T >= 0, axis=0)
            )
            checked += int(np.all(g @ near.T >= 0, axis=0).sum() > 0)
    assert checked > 0


def _adam_objectives(x, y, beta, width, seed, steps=3000, lr=0.01):
    """Plain numpy Adam on the two-layer ReLU network; the objective every 10 steps."""
    rng = np.random.default_rng(seed)
    params = {
        "w": rng.normal(size=(width, 2)),
        "b": rng.normal(size=width),
        "alpha": rng.normal(size=width) / np.sqrt(width),
        "xi": np.zeros(()),
    }
    moments = {k: (np.zeros_like(v), np.zeros_like(v)) for k, v in params.items()}
    history = []
    for step in range(1, steps + 1):
        net = PlaneNetwork(params["w"], params["b"], params["alpha"], float(params["xi"]))
        pre = x @ params["w"].T + params["b"]
        hidden = np.maximum(pre, 0)
        r = net(x) - y
        d_pre = np.outer(r, params["alpha"]) * (pre > 0)
        grads = {
            "w": d_pre.T @ x + beta * params["w"],
            "b": d_pre.sum(axis=0),
            "alpha": hidden.T @ r + beta * params["alpha"],
            "xi": np.asarray(r.sum()),
        }
        if step % 10 == 1:
            history.append(net.objective(x, y, beta))
        for k, g in grads.items():
            m, v = moments[k]
            m = 0.9 * m + 0.1 * g
            v = 0.999 * v + 0.001 * g * g
            moments[k] = (m, v)
            params[k] = params[k] - lr * (m / (1 - 0.9**step)) / (
                np.sqrt(v / (1 - 0.999**step)) + 1e-8
            )
    return np.array(history)


@pytest.mark.parametrize("width", [2, 40])
def test_adam_never_goes_below_the_certified_optimum(width):
    x, y = xor_data(3, 12)
    result = fit_plane(x, y, 0.05)
    lower = result.certificate.dual  # no network of any width is below this
    assert result.objective - lower <= 1e-8
    finals = []
    for seed in range(3):
        history = _adam_objectives(x, y, 0.05, width, seed)
        assert history.min() >= lower - 1e-12
        finals.append(history[-1])
    if width == 40:  # wide enough: Adam gets close (the bound is not vacuous)
        assert min(finals) <= 1.05 * result.objective


@pytest.mark.parametrize(
    ("x", "y", "width", "patterns"),
    [
        (np.array([[0.0, 0.0]]), np.array([1.0]), 0, 1),
        (np.zeros((3, 2)), np.array([1.0, -1.0, 0.5]), 0, 1),
        (np.array([[0.0, 0.0], [1.0, 1.0]]), np.array([1.0, -1.0]), 1, 3),
        (np.c_[np.arange(4.0), np.arange(4.0)], np.array([1.0, -1.0, 1.0, -1.0]), 3, 7),
        (np.random.default_rng(0).normal(size=(6, 2)), np.ones(6), 0, 31),
    ],
    ids=["one_point", "one_location", "two_points", "collinear", "constant"],
)
def test_degenerate_data(x, y, width, patterns):
    for method in ("columns", "all"):
        result = fit_plane(x, y, 0.1, method=method)
        assert result.status == "optimal"
        assert result.network.width == width
        assert result.pattern_count == patterns
        assert result.network_objective == pytest.approx(result.objective, abs=1e-9)


def test_column_generation_reports_its_progress():
    x, y = xor_data(6, 30)
    seen = []
    result = fit_plane(x, y, 0.05, on_round=seen.append)
    assert [r.round for r in seen] == list(range(1, result.rounds + 1))
    assert seen[0].worst_over_beta > 1.5
    assert seen[-1].worst_over_beta <= 1 + 1e-8
    assert seen[-1].working_set == len(result.working_set)
    assert all(a.working_set < b.working_set for a, b in zip(seen, seen[1:], strict=False))


@pytest.mark.parametrize(("scale", "shift"), [(1e-3, 0.0), (1e3, 5.0), (1.0, -40.0)])
def test_scaled_and_shifted_points_give_the_same_optimum(scale, shift):
    """``x -> s x + c`` with ``beta -> s beta`` keeps the optimum (positive homogeneity)."""
    x, y = xor_data(3, 12)
    reference = fit_plane(x, y, 0.05)
    moved = fit_plane(scale * x + shift, y, scale * 0.05)
    assert moved.status == "optimal"
    assert moved.objective == pytest.approx(reference.objective, rel=1e-7)
    assert np.allclose(moved.network(scale * x + shift), reference.network(x), atol=1e-6)
    net = moved.network
    assert np.allclose(np.linalg.norm(net.weights, axis=1), np.abs(net.alphas))


@pytest.mark.parametrize("seed", range(6))
def test_random_scales_and_small_betas_are_certified(seed):
    rng = np.random.default_rng(100 + seed)
    n = int(rng.integers(5, 25))
    scale = 10 ** rng.uniform(-2, 3)
    x = rng.normal(size=(n, 2)) * scale
    if seed % 2:
        x = np.round(x / scale * 2) * scale / 2  # collinear and repeated points
    y = rng.normal(size=n)
    beta = scale * 10 ** rng.uniform(-4, -1)
    result = fit_plane(x, y, beta)
    assert result.status == "optimal"
    assert result.network.width <= n + 1
    assert result.network_objective == pytest.approx(result.objective, rel=1e-6)
