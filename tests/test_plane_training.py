"""Adam on the two-layer ReLU network in the plane, beside the certified optimum (THEORY_2D).

The certificate of :func:`convexviz.plane.fit_plane` bounds every network of any width from
below: ``J >= optimum - duality gap``. A run that ever went below would mean a bug in the
trainer, in the program or in the theory.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from convexviz.plane import fit_plane
from convexviz.plane_network import PlaneNetwork
from convexviz.plane_training import (
    MAX_WORK,
    PlaneTrainingSetup,
    forward,
    init_network,
    objective_and_grad,
    pack,
    train,
    train_live,
    unpack,
)
from convexviz.portable_random import uniforms

BETA = 0.05  # THEORY_2D §6
#: THEORY_2D §6: seed -> (N, certified optimum at beta = 0.05).
REFERENCE = {1: (5, 0.126677), 2: (8, 0.277609), 3: (12, 0.382425), 4: (20, 1.717977)}
XOR = np.array([(-1.0, -1.0), (-1.0, 1.0), (1.0, -1.0), (1.0, 1.0)])
XOR_Y = np.array([1.0, -1.0, -1.0, 1.0])


def reference_data(seed: int) -> tuple[np.ndarray, np.ndarray]:
    """THEORY_2D §6: ``x`` uniform on [-2, 2]^2, ``y = sign(x1 x2) + 0.1 N(0, 1)``."""
    n = REFERENCE[seed][0]
    rng = np.random.default_rng(seed)
    x = rng.uniform(-2, 2, (n, 2))
    return x, np.sign(x[:, 0] * x[:, 1]) + 0.1 * rng.normal(size=n)


def lower_bound(x, y, beta: float) -> tuple[float, int, float]:
    """``(bound, m*, optimum)``: the certified optimum minus its duality gap (a dual value, so
    no network of any width goes below it; a relative 1e-9 covers rounding), the optimum's
    width and the optimum."""
    fit = fit_plane(x, y, beta)
    assert fit.status == "optimal"
    bound = (fit.objective - max(fit.duality_gap, 0.0)) * (1 - 1e-9)
    return bound, fit.network.width, fit.objective


def never_below(snapshot, bound: float) -> bool:
    """Every objective a run ever had (history, current, best) is at least ``bound``."""
    values = [snapshot.history.ravel(), snapshot.objective, snapshot.best]
    return bool(min(float(v.min()) for v in values if v.size) >= bound)


def random_network(rng: np.random.Generator, width: int) -> PlaneNetwork:
    return PlaneNetwork(
        rng.normal(size=(width, 2)), rng.normal(size=width), rng.normal(size=width), rng.normal()
    )


# ------------------------------------------------------------------------- the objective


def test_objective_and_forward_agree_with_the_plane_network():
    """The trainer's batched arithmetic against PlaneNetwork's plain matrix products."""
    rng = np.random.default_rng(0)
    for width in (1, 3, 11):
        net = random_network(rng, width)
        x, y = rng.normal(size=(9, 2)), rng.normal(size=9)
        value, _ = objective_and_grad(net, x, y, 0.3)
        assert value == pytest.approx(net.objective(x, y, 0.3), rel=1e-12)
        np.testing.assert_allclose(forward(net, x), net(x), rtol=1e-12, atol=1e-12)


def test_objective_by_hand_on_one_neuron():
    """f(x) = 2 relu(x1 - x2 + 1) - 1 on three points, beta = 0.5, written out."""
    net = PlaneNetwork(np.array([[1.0, -1.0]]), np.array([1.0]), np.array([2.0]), -1.0)
    x = np.array([(0.0, 0.0), (0.0, 2.0), (1.0, 0.0)])  # z = 1, -1, 2; f = 1, -1, 3
    y = np.array([0.0, 0.0, 1.0])  # residuals 1, -1, 2
    value, grad = objective_and_grad(net, x, y, 0.5)
    assert value == pytest.approx(0.5 * (1 + 1 + 4) + 0.25 * (1 + 1 + 4))
    assert grad.offset == pytest.approx(1 - 1 + 2)
    # dJ/dalpha = sum r relu(z) + beta alpha = 1*1 + 2*2 + 0.5*2
    assert grad.alphas[0] == pytest.approx(6.0)
    # dJ/db = alpha sum_{z > 0} r = 2 (1 + 2); dJ/dw = alpha sum r x + beta w
    assert grad.biases[0] == pytest.approx(6.0)
    np.testing.assert_allclose(grad.weights[0], [2 * 2 * 1 + 0.5, 0 - 0.5])


@pytest.mark.parametrize("width", [1, 4, 9])
def test_gradient_matches_finite_differences(width):
    rng = np.random.default_rng(width)
    x, y = rng.uniform(-2, 2, (12, 2)), rng.normal(size=12)
    net = random_network(rng, width)
    _, grad = objective_and_grad(net, x, y, 0.2)
    theta, g = pack(net), pack(grad)
    h = 1e-6
    for i in range(theta.size):
        up, down = theta.copy(), theta.copy()
        up[i] += h
        down[i] -= h
        numeric = (
            objective_and_grad(unpack(up, width), x, y, 0.2)[0]
            - objective_and_grad(unpack(down, width), x, y, 0.2)[0]
        ) / (2 * h)
        assert g[i] == pytest.approx(numeric, rel=1e-5, abs=1e-6), i


def test_pack_and_unpack_are_inverse():
    net = random_network(np.random.default_rng(3), 5)
    back = unpack(pack(net), 5)
    for name in ("weights", "biases", "alphas"):
        np.testing.assert_array_equal(getattr(back, name), getattr(net, name))
    assert back.offset == net.offset and pack(net).size == 4 * 5 + 1


# ------------------------------------------------------------------------- truth: never below


def test_the_reference_optima_are_those_of_the_specification():
    """An independent check of the bound itself (THEORY_2D §6, two implementations)."""
    for seed, (_, value) in REFERENCE.items():
        _, _, optimum = lower_bound(*reference_data(seed), BETA)
        assert optimum == pytest.approx(value, abs=1e-6)


@pytest.mark.parametrize("seed", sorted(REFERENCE))
def test_adam_never_goes_below_the_certified_optimum_on_the_reference_data(seed):
    x, y = reference_data(seed)
    bound, neurons, _ = lower_bound(x, y, BETA)
    for width in (1, neurons, 2 * neurons):
        setup = PlaneTrainingSetup(beta=BETA, width=width, steps=4000, seeds=(0, 1, 2))
        for snapshot in train_live(x, y, setup, chunk=1000):
            assert never_below(snapshot, bound), (width, snapshot.step)


def test_adam_never_goes_below_on_random_data():
    """Regression values and two classes, several sizes, widths and penalties."""
    rng = np.random.default_rng(7)
    for trial in range(6):
        n = int(rng.integers(3, 14))
        x = np.round(rng.uniform(-3, 3, (n, 2)), 2)
        y = np.sign(rng.normal(size=n)) if trial % 2 else np.round(rng.normal(size=n), 2)
        beta = float(rng.choice([0.01, 0.1, 0.5]))
        bound, neurons, _ = lower_bound(x, y, beta)
        for width in (1, max(1, neurons // 2), 2 * neurons):
            setup = PlaneTrainingSetup(beta=beta, width=width, steps=2000, seeds=(trial, 9))
            final = train(x, y, setup)
            assert never_below(final, bound), (trial, width)
            assert np.all(final.best <= final.history[:, 0])  # training made progress


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    points=st.lists(
        st.tuples(
            st.integers(-20, 20).map(lambda v: v / 10),
            st.integers(-20, 20).map(lambda v: v / 10),
            st.integers(-10, 10).map(lambda v: v / 5),
        ),
        min_size=1,
        max_size=8,
    ),
    beta=st.sampled_from([0.02, 0.2, 1.0]),
    width=st.integers(1, 6),
    seed=st.integers(0, 2**32 - 1),
)
def test_never_below_on_any_small_data(points, beta, width, seed):
    """Repeated and collinear points included (clicks snap to a grid)."""
    data = np.array(points, dtype=float)
    bound, _, _ = lower_bound(data[:, :2], data[:, 2], beta)
    final = train(data[:, :2], data[:, 2], PlaneTrainingSetup(beta, width, 600, seeds=(seed,)))
    assert never_below(final, bound)


def test_the_check_fails_when_the_penalty_is_cut_by_ten_percent():
    """The never-below check has teeth: a trainer whose penalty is 10 % too small (trained
    at 0.9 beta) does go below the optimum at beta, and the check says so."""
    x, y = reference_data(3)
    bound, neurons, _ = lower_bound(x, y, BETA)
    honest = train(x, y, PlaneTrainingSetup(BETA, 2 * neurons, seeds=(0, 1, 2, 3)))
    cut = train(x, y, PlaneTrainingSetup(0.9 * BETA, 2 * neurons, seeds=(0, 1, 2, 3)))
    assert never_below(honest, bound)
    assert not never_below(cut, bound)


# ------------------------------------------------------------------------- near it, or stuck


@pytest.mark.parametrize("seed", sorted(REFERENCE))
def test_enough_neurons_get_within_a_few_percent(seed):
    """Twice the optimum's width, the default steps, four starts: the best start ends within
    2 % of the optimum (measured: 0.0 - 0.2 %)."""
    x, y = reference_data(seed)
    _, neurons, optimum = lower_bound(x, y, BETA)
    final = train(x, y, PlaneTrainingSetup(BETA, 2 * neurons))
    assert final.gap_percent(optimum).min() < 2.0


def test_one_neuron_stalls_far_above_the_optimum_on_xor():
    """XOR needs two neurons: one (from any start) stays far above, two can reach it."""
    _, neurons, optimum = lower_bound(XOR, XOR_Y, BETA)
    assert neurons == 2
    narrow = train(XOR, XOR_Y, PlaneTrainingSetup(BETA, 1, 3000, seeds=tuple(range(8))))
    assert narrow.gap_percent(optimum, "best").min() > 100.0
    wide = train(XOR, XOR_Y, PlaneTrainingSetup(BETA, 8, 3000, seeds=(0, 1)))
    assert wide.gap_percent(optimum).min() < 1.0


# ------------------------------------------------------------------------- runs and snapshots


def test_snapshots_report_consistent_progress():
    x, y = reference_data(2)
    setup = PlaneTrainingSetup(BETA, 5, steps=450, seeds=(4, 2))
    snaps = list(train_live(x, y, setup, chunk=100))
    assert [s.step for s in snaps] == [0, 100, 200, 300, 400, 450]
    assert snaps[-1].done and not snaps[-2].done
    for s in snaps:
        assert s.history.shape == (2, s.step)
        assert s.seeds == (4, 2) and len(s.networks) == len(s.best_networks) == 2
        for k in range(2):  # the reported objectives are those of the reported networks
            assert s.objective[k] == pytest.approx(s.networks[k].objective(x, y, BETA), 1e-12)
            assert s.best[k] == pytest.approx(s.best_networks[k].objective(x, y, BETA), 1e-12)
            lowest = min(s.history[k].min(initial=np.inf), s.objective[k])
            assert s.best[k] == lowest
        assert s.best[s.best_run] == s.best.min()


def test_runs_depend_only_on_their_seed():
    """Not on the chunking, not on the other seeds of the batch; equal calls, equal runs."""
    x, y = reference_data(3)
    together = train(x, y, PlaneTrainingSetup(BETA, 6, 300, seeds=(5, 8, 13)))
    alone = train(x, y, PlaneTrainingSetup(BETA, 6, 300, seeds=(8,)))
    *_, chunked = train_live(x, y, PlaneTrainingSetup(BETA, 6, 300, seeds=(5, 8, 13)), chunk=7)
    np.testing.assert_array_equal(together.history[1], alone.history[0])
    np.testing.assert_array_equal(pack(together.networks[1]), pack(alone.networks[0]))
    np.testing.assert_array_equal(chunked.history, together.history)


def test_init_gives_the_starts_instead_of_random_ones():
    x, y = reference_data(1)
    start = init_network(x, y, 3, 77)
    first = next(train_live(x, y, PlaneTrainingSetup(BETA, 3, 10, seeds=(0,)), init=[start]))
    np.testing.assert_array_equal(pack(first.networks[0]), pack(start))


def test_random_start_follows_the_documented_draws():
    x, y = reference_data(4)
    m, seed = 7, 123
    net = init_network(x, y, m, seed)
    u = uniforms(seed, 6 * m)
    lo, span = x.min(axis=0), x.max(axis=0) - x.min(axis=0)
    for j in range(m):
        v = 2 * u[2 * j : 2 * j + 2] - 1
        w = (0.5 + u[2 * m + j]) * v / np.hypot(*v)
        np.testing.assert_allclose(net.weights[j], w, rtol=1e-14)
        c = lo - 0.1 * span + 1.2 * span * u[3 * m + 2 * j : 3 * m + 2 * j + 2]
        assert net.weights[j] @ c + net.biases[j] == pytest.approx(0, abs=1e-12)  # line at c
        assert net.alphas[j] == u[5 * m + j] - 0.5
    assert net.offset == pytest.approx(y.mean())
    # Bit for bit the same start on every call.
    np.testing.assert_array_equal(pack(init_network(x, y, m, seed)), pack(net))


def test_the_start_is_pinned_for_a_port_to_another_language():
    """Seed 0, width 2 on XOR: weights (row-major), biases, alphas, offset."""
    assert pack(init_network(XOR, XOR_Y, 2, 0)).tolist() == [
        -0.4096323792486924, -0.8763129754189984, -0.6438453871194891, -0.8231589778288466,
        0.42664444877642516, 0.09247576608741889, -0.25374246994033456, -0.4021483052056283,
        0.0,
    ]  # fmt: skip


def test_one_point_and_repeated_points_train():
    one = train([(0.5, 0.5)], [2.0], PlaneTrainingSetup(0.1, 2, 200, seeds=(0,)))
    assert one.objective[0] == pytest.approx(0.0, abs=1e-3)  # the offset fits it, no weights
    same = train([(1, 1), (1, 1), (1, 1)], [0, 1, 2], PlaneTrainingSetup(0.1, 2, 300))
    assert same.best.min() >= 1.0 - 1e-9  # 1/2 sum (y - 1)^2: no network does better


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({"width": 0}, "width"),
        ({"width": 201}, "width"),
        ({"steps": 0}, "steps"),
        ({"beta": 0.0}, "beta"),
        ({"beta": float("nan")}, "beta"),
        ({"seeds": (1, 1)}, "distinct"),
        ({"seeds": ()}, "number of seeds"),
        ({"seeds": (-1,)}, "seeds must be integers"),
        ({"lr": 2.0}, "lr"),
    ],
)
def test_bad_settings_say_what_is_wrong(kwargs, words):
    with pytest.raises(ValueError, match=words):
        PlaneTrainingSetup(**kwargs)


@pytest.mark.parametrize(
    ("points", "y", "words"),
    [
        ([(0, 0), (1, np.nan)], [0, 1], "finite"),
        ([(0, 0), (1, 1)], [0, np.inf], "finite"),
        ([0, 1, 2], [0, 1, 2], "shape"),
        ([], [], "shape"),
        ([(0, 0), (1, 1)], [0, 1, 2], "one value per point"),
    ],
)
def test_bad_data_say_what_is_wrong(points, y, words):
    with pytest.raises(ValueError, match=words):
        train(points, y, PlaneTrainingSetup(steps=10))


def test_too_much_work_and_bad_chunks_or_starts_are_refused():
    x, y = reference_data(4)
    huge = PlaneTrainingSetup(width=200, steps=50_000, seeds=tuple(range(16)))
    assert huge.work(len(x)) > MAX_WORK
    with pytest.raises(ValueError, match="too much training"):
        train_live(x, y, huge)
    with pytest.raises(ValueError, match="chunk"):
        train_live(x, y, PlaneTrainingSetup(steps=10), chunk=0)
    with pytest.raises(ValueError, match="width 2"):
        train_live(x, y, PlaneTrainingSetup(width=2, steps=10, seeds=(0,)), init=[XOR_NET])
    with pytest.raises(ValueError, match="one start per seed"):
        train_live(x, y, PlaneTrainingSetup(width=1, steps=10, seeds=(0, 1)), init=[XOR_NET])


XOR_NET = PlaneNetwork(np.array([[1.0, 1.0]]), np.array([0.0]), np.array([1.0]), 0.0)
