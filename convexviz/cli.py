"""Command line: ``python -m convexviz fit ...`` (contract: DESIGN.md §5).

Bad input exits with code 2 and a single line on stderr; never a traceback.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import numpy as np

from . import training
from .architecture import Architecture
from .cost import FitTooLargeError
from .datasets import parse_csv, parse_points
from .datasets2d import parse_plane_csv, parse_plane_points
from .deadline import FitDeadlineError
from .export import FORMATS, cvxpy_script, fit_json, points_csv, result_to_dict
from .fit import FitResult, fit
from .limits import DEFAULT_LEAK, FIT_DEADLINE_SECONDS, LEAK_RANGE, MAX_FIT_SECONDS


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, exit code 2
        self.exit(2, f"convexviz: error: {message}\n")


@dataclass(frozen=True)
class Command:
    """One subcommand: its help line, its own arguments, and what it does.

    ``run(args)`` returns the text to print; a ``ValueError`` it raises becomes one line on
    stderr and exit code 2 (bad input), for every command alike.
    """

    help: str
    add_arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], str]


def add_problem_arguments(
    p: argparse.ArgumentParser, *, beta: bool = True, limit: bool = True
) -> None:
    """The arguments every command shares: the points, the architecture, (optionally) beta
    and ``--no-limit`` (for the commands that solve the Lasso through :func:`fit`)."""
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--points", help='training points "x,y x,y ..."')
    src.add_argument("--csv", help="CSV file with columns x,y")
    p.add_argument("--activation", default="relu", help="relu, leaky_relu, abs, sign, threshold")
    p.add_argument("--depth", type=int, default=2, help="number of weight layers L >= 2")
    if beta:
        p.add_argument("--beta", type=float, required=True, help="regularization strength > 0")
    p.add_argument(
        "--leak",
        type=float,
        default=DEFAULT_LEAK,
        help=f"leaky ReLU negative slope in [{LEAK_RANGE[0]:g}, {LEAK_RANGE[1]:g}]",
    )
    p.add_argument("--branching", default="", help="sign/threshold trees: m1,m2,...")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    if limit:
        p.add_argument(
            "--no-limit",
            action="store_true",
            help=(
                "for offline use: run fits the app refuses as too slow to solve live "
                f"(estimated over {MAX_FIT_SECONDS:g} s) and do not stop a fit after "
                f"{FIT_DEADLINE_SECONDS:g} s; the dictionary's memory cap still holds"
            ),
        )


def fit_with_limits(args: argparse.Namespace, x, y, arch: Architecture, **options) -> FitResult:
    """:func:`fit` with the live limits unless ``--no-limit`` was given.

    A refusal or a stopped fit becomes a ``ValueError`` whose one line says that
    ``--no-limit`` runs it anyway.
    """
    if args.no_limit:
        options.update(limit=False, deadline_s=None)
    try:
        return fit(x, y, arch, args.beta, **options)
    except (FitTooLargeError, FitDeadlineError) as err:
        raise ValueError(f"{err} (--no-limit runs it anyway)") from None


def load_problem(args: argparse.Namespace) -> tuple[np.ndarray, np.ndarray, Architecture]:
    """Points and architecture from the shared arguments (``ValueError`` on bad input)."""
    x, y = _load_points(args)
    return x, y, Architecture(args.activation, args.depth, args.leak, _branching(args.branching))


def _grid(spec: str) -> np.ndarray:
    parts = spec.split(":")
    if len(parts) != 3:
        raise ValueError(f"--grid must be a:b:n, got {spec!r}")
    try:
        a, b, n = float(parts[0]), float(parts[1]), int(parts[2])
    except ValueError:
        raise ValueError(f"--grid must be a:b:n with numbers, got {spec!r}") from None
    if not (np.isfinite(a) and np.isfinite(b) and a < b and 2 <= n <= 100_000):
        raise ValueError(f"--grid needs finite a < b and 2 <= n <= 100000, got {spec!r}")
    return np.linspace(a, b, n)


def _load_points(args: argparse.Namespace) -> tuple[np.ndarray, np.ndarray]:
    if args.csv is not None:
        try:
            with open(args.csv, encoding="utf-8") as handle:
                points = parse_csv(handle.read())
        except OSError as exc:
            raise ValueError(f"cannot read {args.csv}: {exc.strerror}") from None
    else:
        points = parse_points(args.points)
    if not points:
        raise ValueError("no training points given")
    arr = np.array(points, dtype=float)
    return arr[:, 0], arr[:, 1]


def _branching(text: str) -> tuple[int, ...]:
    if not text.strip():
        return ()
    try:
        return tuple(int(v) for v in text.split(","))
    except ValueError:
        raise ValueError(f"--branching must be integers like 2,2, got {text!r}") from None


def _summary(d: dict) -> str:
    lines = [
        f"{d['activation']} depth {d['depth']}, beta={d['beta']:g}, {d['n_points']} points",
        f"dictionary: {d['dictionary']['raw_size']} raw candidates, "
        f"{d['dictionary']['size']} distinct on the data",
        f"Lasso optimum {d['objective']:.10g}  rebuilt network {d['network_objective']:.10g}  "
        f"({d['status']}, duality gap {d['certificate']['duality_gap']:.2e})",
        f"{d['n_neurons']} neuron{'' if d['n_neurons'] == 1 else 's'}, "
        f"offset xi = {d['bias']:.6g}",
    ]
    lines += [f"  {f['coef']:+.6g} * {f['label']}  [{f['kind']}]" for f in d["features"]]
    if "note" in d:
        lines.append("note: " + d["note"])
    t = d["timings_ms"]
    lines.append(
        f"time: build {t['build']:.1f} ms, solve {t['solve']:.1f} ms, total {t['total']:.1f} ms"
    )
    return "\n".join(lines)


def _fit_arguments(p: argparse.ArgumentParser) -> None:
    add_problem_arguments(p)
    p.add_argument("--grid", help="a:b:n adds predictions on n points from a to b")
    p.add_argument("--repeat", type=int, default=1, help="refit K times, report median timings")


def _run_fit(args: argparse.Namespace) -> str:
    x, y, arch = load_problem(args)
    grid = _grid(args.grid) if args.grid else None
    if not 1 <= args.repeat <= 1000:
        raise ValueError("--repeat must be between 1 and 1000")
    runs = [fit_with_limits(args, x, y, arch, reuse=False) for _ in range(args.repeat)]
    result = runs[-1]
    out = result_to_dict(result, grid)
    out["timings_ms"] = {
        key: statistics.median(r.timings_ms[key] for r in runs) for key in result.timings_ms
    }
    return json.dumps(out) if args.json else _summary(out)


# ---------------------------------------------------------------- optima (issue 8, items 3-4)

#: Allowed ``--limit`` of ``optima``: how many optimal networks to list.
OPTIMA_LIMIT_RANGE = (1, 50)


def _optima_arguments(p: argparse.ArgumentParser) -> None:
    add_problem_arguments(p)
    lo, hi = OPTIMA_LIMIT_RANGE
    p.add_argument("--limit", type=int, default=8, help=f"at most this many networks ({lo}-{hi})")
    p.add_argument("--grid", help="a:b:n adds each network's curve on n points from a to b")


def _run_optima(args: argparse.Namespace) -> str:
    """``python -m convexviz optima ... [--json]``: is the optimum unique, and which optimal
    networks exist (:mod:`convexviz.optimal_set`), beside the closed forms of THEORY.md §7.

    JSON: ``{"objective", "unique", "reason", "closed_forms": [{"name", "formula", "value",
    "label", "source"}], "networks": [{"name", "description", "objective", "n_neurons",
    "n_reflections", "bias", "features": [{"label", "kind", "coef"}], ["predict"]}]}``.
    """
    # Imported here: they pull in plotly, which the other commands do not need.
    from .closed_forms import closed_forms
    from .optimal_set import alternative_optima, is_unique

    x, y, arch = load_problem(args)
    lo, hi = OPTIMA_LIMIT_RANGE
    if not lo <= args.limit <= hi:
        raise ValueError(f"--limit must be between {lo} and {hi}, got {args.limit}")
    grid = _grid(args.grid) if args.grid else None
    result = fit_with_limits(args, x, y, arch)
    verdict = is_unique(result)
    networks = alternative_optima(result, limit=args.limit)
    out = {
        "objective": result.lasso.objective,
        "unique": verdict.unique,
        "reason": verdict.reason,
        "closed_forms": [
            {
                "name": f.name,
                "formula": f.formula,
                "value": f.value,
                "label": f.label,
                "source": f.source,
            }
            for f in closed_forms(result)
        ],  # fmt: skip
        "networks": [_optimal_network_dict(n, grid) for n in networks],
    }
    return json.dumps(out) if args.json else _optima_summary(out)


def _optimal_network_dict(network, grid: np.ndarray | None) -> dict:
    out = {
        "name": network.name,
        "description": network.description,
        "objective": network.objective,
        "n_neurons": network.n_neurons,
        "n_reflections": network.n_reflections,
        "bias": network.network.bias,
        "features": [
            {"label": f.label, "kind": f.kind, "coef": c}
            for f, c in zip(network.features, network.coefs, strict=True)
        ],
    }
    if grid is not None:
        out["predict"] = {"x": grid.tolist(), "y": network.predict(grid).tolist()}
    return out


def _optima_summary(d: dict) -> str:
    lines = [f"Lasso optimum {d['objective']:.10g}", d["reason"]]
    lines += [
        f"{f['label']} {f['name']} = {f['formula']} = {f['value']:.6g}" for f in d["closed_forms"]
    ]
    for n in d["networks"]:
        lines.append(f"{n['name']}: {n['n_neurons']} neurons, objective {n['objective']:.10g}")
        lines += [f"  {f['coef']:+.6g} * {f['label']}" for f in n["features"]]
    return "\n".join(lines)


# ----------------------------------------------------------------------------------------
# export: the problem as code (issue 8, item 5; contract in convexviz.export)


def _export_arguments(p: argparse.ArgumentParser) -> None:
    add_problem_arguments(p)
    p.add_argument(
        "--format",
        required=True,
        choices=FORMATS,
        help="cvxpy: a standalone script; json: the fit with the network's weights; "
        "csv: the points",
    )


def _run_export(args: argparse.Namespace) -> str:
    x, y, arch = load_problem(args)
    result = fit_with_limits(args, x, y, arch, reuse=False)  # every format checks the input alike
    if args.format == "json":
        return json.dumps(fit_json(result))
    if args.format == "csv":
        return points_csv(x, y).rstrip("\n")
    return cvxpy_script(result).rstrip("\n")


# --------------------------------------------------------------------------------------------
# train: Adam on the parallel architecture beside the certified Lasso optimum (issue 8, item 1)


def _train_arguments(p: argparse.ArgumentParser) -> None:
    add_problem_arguments(p)
    p.add_argument(
        "--width", type=int, default=None, help="units m (default max(N + 1, 2 x optimum's))"
    )
    p.add_argument("--steps", type=int, default=training.DEFAULT_STEPS, help="Adam steps")
    p.add_argument("--seeds", type=int, default=training.DEFAULT_SEEDS, help="runs (seeds 0..K-1)")
    p.add_argument("--lr", type=float, default=training.DEFAULT_LR, help="Adam step size")


def _run_train(args: argparse.Namespace) -> str:
    x, y, arch = load_problem(args)
    setup = training.TrainingSetup(  # checks the settings before the (slower) Lasso fit
        activation=arch.activation,
        depth=arch.depth,
        beta=args.beta,
        width=training.WIDTH_RANGE[0] if args.width is None else args.width,
        steps=args.steps,
        lr=args.lr,
        seeds=tuple(range(args.seeds)),
        leak=arch.leak,
    )
    optimum = fit_with_limits(args, x, y, arch)
    if args.width is None:
        width = training.default_width(x.size, optimum.network.n_neurons)
        setup = replace(setup, width=width)
    final = training.train(x, y, setup)
    out = {
        "lasso_objective": optimum.lasso.objective,
        "width": setup.width,
        "steps": setup.steps,
        "runs": [
            {"seed": seed, "objective": float(final.objective[k]), "best": float(final.best[k])}
            for k, seed in enumerate(setup.seeds)
        ],
    }
    if args.json:
        return json.dumps(out)
    lines = [
        f"{arch.title}, beta={args.beta:g}, {x.size} points: certified Lasso optimum "
        f"{out['lasso_objective']:.10g}",
        f"Adam, {setup.width} parallel units, {setup.steps} steps, lr {setup.lr:g}:",
    ]
    gaps = final.gap_percent(out["lasso_objective"])
    lines += [
        f"  seed {r['seed']}: final {r['objective']:.10g} ({gap:+.3g} %), best {r['best']:.10g}"
        for r, gap in zip(out["runs"], gaps, strict=True)
    ]
    return "\n".join(lines)


# ---------------------------------------------------------------- path (issue 8, item 2)


def _path_arguments(p: argparse.ArgumentParser) -> None:
    add_problem_arguments(p, beta=False, limit=False)
    p.add_argument(
        "--beta-min", type=float, default=None, help="lowest beta (default beta_max * 1e-4)"
    )


def _run_path(args: argparse.Namespace) -> str:
    from .dictionary import build_dictionary
    from .limits import MAX_ABS_VALUE
    from .path import regularization_path

    x, y, arch = load_problem(args)
    beta_min = args.beta_min
    if beta_min is not None and not (np.isfinite(beta_min) and 0 < beta_min <= MAX_ABS_VALUE):
        raise ValueError(f"--beta-min must be a positive number up to 1e6, got {beta_min!r}")
    path = regularization_path(build_dictionary(x, arch), y, beta_min)
    if path.stopped_at is not None:  # the contract: the last knot is at or below beta-min
        raise ValueError(
            f"the path could not be continued below beta={path.stopped_at:.6g} "
            f"({path.stop_reason})"
        )
    # just below each knot: the segment below it; the first knot is z(beta_max) = 0 (the
    # contract), the last one (at beta_min) keeps the last segment's count
    below = [int(n) for n in path.n_active]
    n_active = [0, *below[1:], below[-1]] if below else [0]
    knots = [
        {"beta": float(b), "objective": float(o), "n_active": n}
        for b, o, n in zip(path.betas, path.objectives, n_active, strict=True)
    ]
    if args.json:
        return json.dumps({"beta_max": path.beta_max, "knots": knots})
    lines = [f"beta_max = {path.beta_max:.10g}, {len(knots)} knots", "beta  objective  n_active"]
    lines += [f"{k['beta']:.6g}  {k['objective']:.10g}  {k['n_active']}" for k in knots]
    return "\n".join(lines)


# ----------------------------------------------------------------------------------------
# fit2d: a two-layer ReLU network on points in the plane (THEORY_2D)


def _fit2d_arguments(p: argparse.ArgumentParser) -> None:
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--points", help='training points "x1,x2,y x1,x2,y ..."')
    src.add_argument("--csv", help="CSV file with columns x1,x2,y")
    p.add_argument("--beta", type=float, required=True, help="regularization strength > 0")
    p.add_argument("--repeat", type=int, default=1, help="refit K times, report median timings")
    p.add_argument("--json", action="store_true", help="print one JSON object")


def _load_plane_points(args: argparse.Namespace) -> tuple[np.ndarray, np.ndarray]:
    if args.csv is None:
        rows = parse_plane_points(args.points)
    else:
        try:
            with open(args.csv, encoding="utf-8") as handle:
                rows = parse_plane_csv(handle.read())
        except OSError as exc:
            raise ValueError(f"cannot read {args.csv}: {exc.strerror}") from None
    arr = np.array(rows, dtype=float)
    return arr[:, :2], arr[:, 2]


def _plane_fit_dict(result, timings_ms: float) -> dict:
    cert = result.certificate
    net = result.network
    return {
        "objective": result.objective,
        "network_objective": result.network_objective,
        "status": result.status,
        "offset": net.offset,
        "neurons": [
            {"w": [float(w[0]), float(w[1])], "b": float(b), "alpha": float(a)}
            for w, b, a in zip(net.weights, net.biases, net.alphas, strict=True)
        ],
        "patterns": {"count": result.pattern_count, "used": result.patterns_used},
        "certificate": {
            "duality_gap": cert.duality_gap,
            "worst_line": {
                "w": list(cert.worst_line.w),
                "b": cert.worst_line.b,
                "value": cert.worst_line.value,
            },
        },
        "timings_ms": {"total": timings_ms},
    }


def _run_fit2d(args: argparse.Namespace) -> str:
    from .limits import MAX_ABS_VALUE
    from .plane import fit_plane

    points, y = _load_plane_points(args)
    if not (np.isfinite(args.beta) and 0 < args.beta <= MAX_ABS_VALUE):
        raise ValueError(f"--beta must be > 0 and <= 1e6, got {args.beta}")
    if not 1 <= args.repeat <= 1000:
        raise ValueError("--repeat must be between 1 and 1000")
    fits = [fit_plane(points, y, args.beta) for _ in range(args.repeat)]
    total = statistics.median(f.timings_ms["total"] for f in fits)
    d = _plane_fit_dict(fits[-1], total)
    if args.json:
        return json.dumps(d)
    lines = [
        f"two-layer ReLU on {len(y)} points in the plane, beta={args.beta:g}",
        f"patterns: {d['patterns']['count']}, used by the optimum: {d['patterns']['used']}",
        f"program optimum {d['objective']:.10g}  rebuilt network {d['network_objective']:.10g}  "
        f"({d['status']}, duality gap {d['certificate']['duality_gap']:.2e})",
        f"{len(d['neurons'])} neurons, offset xi = {d['offset']:.6g}",
    ]
    lines += [
        f"  {n['alpha']:+.6g} * relu({n['w'][0]:+.6g} x1 {n['w'][1]:+.6g} x2 {n['b']:+.6g})"
        for n in d["neurons"]
    ]
    lines.append(f"time: total {total:.1f} ms")
    return "\n".join(lines)


# ----------------------------------------------------------------------------------------
#: Every subcommand of ``python -m convexviz`` (DESIGN.md §5, §10).
COMMANDS: dict[str, Command] = {
    "fit": Command("fit the globally optimal network to points", _fit_arguments, _run_fit),
    "train": Command(
        "Adam on the parallel network beside the certified optimum",
        _train_arguments,
        _run_train,
    ),
    "path": Command(
        "the exact regularization path from beta_max down",
        _path_arguments,
        _run_path,
    ),
    "optima": Command(
        "every optimal network: uniqueness, alternatives, closed forms",
        _optima_arguments,
        _run_optima,
    ),
    "export": Command(
        "write the problem as code: a cvxpy script, the fit as JSON, or the points as CSV",
        _export_arguments,
        _run_export,
    ),
    "fit2d": Command(
        "two-layer ReLU network on points in the plane, solved exactly and certified",
        _fit2d_arguments,
        _run_fit2d,
    ),
}


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m convexviz", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    for name, command in COMMANDS.items():
        command.add_arguments(sub.add_parser(name, help=command.help))
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        text = COMMANDS[args.command].run(args)
    except ValueError as exc:
        print(f"convexviz: error: {exc}", file=sys.stderr)
        return 2
    print(text)
    return 0
