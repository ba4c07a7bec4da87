"""Command line: ``python -m convexviz fit ...`` (contract: DESIGN.md §5).

Bad input exits with code 2 and a single line on stderr; never a traceback.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from .architecture import Architecture
from .datasets import parse_csv, parse_points
from .fit import FitResult, fit
from .limits import DEFAULT_LEAK, LEAK_RANGE


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


def add_problem_arguments(p: argparse.ArgumentParser, *, beta: bool = True) -> None:
    """The arguments every command shares: the points, the architecture and (optionally) beta."""
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


def load_problem(args: argparse.Namespace) -> tuple[np.ndarray, np.ndarray, Architecture]:
    """Points and architecture from the shared arguments (``ValueError`` on bad input)."""
    x, y = _load_points(args)
    return x, y, Architecture(args.activation, args.depth, args.leak, _branching(args.branching))


def _fit_arguments(p: argparse.ArgumentParser) -> None:
    add_problem_arguments(p)
    p.add_argument("--grid", help="a:b:n adds predictions on n points from a to b")
    p.add_argument("--repeat", type=int, default=1, help="refit K times, report median timings")


def _run_fit(args: argparse.Namespace) -> str:
    x, y, arch = load_problem(args)
    grid = _grid(args.grid) if args.grid else None
    if not 1 <= args.repeat <= 1000:
        raise ValueError("--repeat must be between 1 and 1000")
    runs = [fit(x, y, arch, args.beta, reuse=False) for _ in range(args.repeat)]
    result = runs[-1]
    out = result_to_dict(result, grid)
    out["timings_ms"] = {
        key: statistics.median(r.timings_ms[key] for r in runs) for key in result.timings_ms
    }
    return json.dumps(out) if args.json else _summary(out)


#: Every subcommand of ``python -m convexviz`` (DESIGN.md §5, §10).
COMMANDS: dict[str, Command] = {
    "fit": Command("fit the globally optimal network to points", _fit_arguments, _run_fit),
}


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m convexviz", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    for name, command in COMMANDS.items():
        command.add_arguments(sub.add_parser(name, help=command.help))
    return parser


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


def result_to_dict(result: FitResult, grid: np.ndarray | None = None) -> dict:
    """The JSON object of DESIGN.md §5 for one fit."""
    arch = result.architecture
    out = {
        "activation": arch.activation,
        "depth": arch.depth,
        "beta": result.lasso.beta,
        "n_points": int(result.x.size),
        "dictionary": {"raw_size": result.dictionary.raw_size, "size": result.dictionary.size},
        "objective": result.lasso.objective,
        "network_objective": result.network_objective,
        "bias": result.lasso.bias,
        "status": result.lasso.status,
        "solver": result.lasso.solver,
        "certificate": {"duality_gap": result.certificate_gap},
        "n_neurons": result.network.n_neurons,
        "beta_max": result.beta_max,
        "features": [
            {
                "kind": a.feature.kind,
                "coef": a.coef,
                "breakpoints": list(a.feature.breakpoints),
                "label": a.feature.label,
                "ties": a.n_ties,
            }
            for a in result.active_features
        ],
        "timings_ms": result.timings_ms,
    }
    if arch.activation == "leaky_relu":
        out["leak"] = arch.leak
    if arch.branching:
        out["branching"] = list(arch.branching)
    if result.dictionary.note:
        out["note"] = result.dictionary.note
    if result.lasso.message:
        out["message"] = result.lasso.message
    if grid is not None:
        out["predict"] = {"x": grid.tolist(), "y": result.predict(grid).tolist()}
    return out


def _summary(d: dict) -> str:
    lines = [
        f"{d['activation']} depth {d['depth']}, beta={d['beta']:g}, {d['n_points']} points",
        f"dictionary: {d['dictionary']['raw_size']} raw candidates, "
        f"{d['dictionary']['size']} distinct on the data",
        f"Lasso optimum {d['objective']:.10g}  rebuilt network {d['network_objective']:.10g}  "
        f"({d['status']}, {d['solver']}, duality gap {d['certificate']['duality_gap']:.2e})",
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


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        text = COMMANDS[args.command].run(args)
    except ValueError as exc:
        print(f"convexviz: error: {exc}", file=sys.stderr)
        return 2
    print(text)
    return 0


# ---------------------------------------------------------------- path (issue 8, item 2)


def _path_arguments(p: argparse.ArgumentParser) -> None:
    add_problem_arguments(p, beta=False)
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


COMMANDS["path"] = Command(
    "the exact regularization path from beta_max down", _path_arguments, _run_path
)
