"""Helper of the command-line tests: run ``convexviz.cli.main`` and capture what it printed."""

from __future__ import annotations

from convexviz.cli import main


def run_main(capsys, *args: str) -> tuple[int, str, str]:
    """Exit code, standard output and standard error of ``python -m convexviz *args``."""
    try:
        code = main(list(args))
    except SystemExit as exc:  # argparse errors
        code = exc.code
    out, err = capsys.readouterr()
    return code, out, err
