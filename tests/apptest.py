"""Helpers of the AppTest modules: run the page with a query, read the URL and the texts."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

TIMEOUT = 120
APP = str(Path(__file__).resolve().parents[1] / "app.py")


def run(params: dict[str, str] | None = None) -> AppTest:
    """The page after its first run, opened with the query ``params``."""
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    for key, value in (params or {}).items():
        at.query_params[key] = value
    return at.run()


def params(at: AppTest) -> dict[str, str]:
    """The page's URL query, one value per key."""
    return {k: (v[-1] if isinstance(v, list) else v) for k, v in at.query_params.items()}


def texts(elements) -> list[str]:
    return [str(e.value) for e in elements]
