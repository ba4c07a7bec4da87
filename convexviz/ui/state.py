"""The URL codec: the app's state as a short, shareable query string (DESIGN.md §4).

``?pts=0:0,4:0,5:0,7:2,10:3,11:3&act=relu&depth=3&beta=0.001``

=========  ===============================  =====================================
key        field                            text
=========  ===============================  =====================================
``pts``    ``points``                       ``x:y`` pairs separated by commas
``act``    ``activation``                   a name from ``ACTIVATIONS``
``depth``  ``depth``                        a whole number (checked by ``Architecture``)
``beta``   ``beta``                         a positive number, at most ``MAX_ABS_VALUE``
``leak``   ``leak``                         leaky ReLU slope within ``LEAK_RANGE``
``br``     ``branching``                    sign trees: ``2-3`` (one integer per level)
``dict``   ``show_dictionary``              ``1`` or ``0``
``preset`` ``preset``                       a name from ``PRESETS``
=========  ===============================  =====================================

The first four keys are always written, the others only when they differ from
:data:`DEFAULT_STATE`. Decoding is a whitelist: unknown keys are ignored, every value is
parsed by a strict regular expression (never ``eval``, never ``pickle``), and an invalid
value falls back to its default with a human-readable notice. Decoding never raises.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, replace
from typing import Any

from ..activations import ACTIVATIONS
from ..architecture import Architecture
from ..datasets import PRESETS
from ..limits import DEFAULT_LEAK, LEAK_RANGE, MAX_ABS_VALUE, MAX_ABS_VALUE_TEXT, MAX_POINTS

Points = tuple[tuple[float, float], ...]

#: Sign trees: at most this many levels and this many children per level in ``br``.
MAX_BRANCH_LEVELS, MAX_BRANCHING = 6, 16

_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_INTEGER = re.compile(r"[+-]?\d{1,6}")
_BRANCHING = re.compile(r"\d{1,3}(?:-\d{1,3}){0,15}")
_UNSAFE = re.compile(r"[^0-9A-Za-z .:,=-]")  # anything Markdown could interpret
_TRUE, _FALSE = ("1", "true", "yes", "on"), ("0", "false", "no", "off", "")


@dataclass(frozen=True)
class AppState:
    """Everything a link restores: the points, the network family and the view.

    Parameters
    ----------
    points : tuple of (x, y) pairs
    activation : str
        A key of :data:`convexviz.activations.ACTIVATIONS`.
    depth : int
        Number of weight layers ``L``.
    beta : float
        Regularization strength, ``0 < beta <= MAX_ABS_VALUE``
        (:mod:`convexviz.limits`).
    leak : float
        Negative slope of ``leaky_relu``, within ``LEAK_RANGE``.
    branching : tuple of int
        Sign/threshold trees: children per level; empty means the default.
    show_dictionary : bool
        Draw every dictionary feature faintly behind the selected ones.
    preset : str
        Name of the preset the points came from (empty if none).
    """

    points: Points
    activation: str = "relu"
    depth: int = 2
    beta: float = 1e-3
    leak: float = DEFAULT_LEAK
    branching: tuple[int, ...] = ()
    show_dictionary: bool = False
    preset: str = ""


#: What an empty URL shows: the paper's 'opt' data at ReLU depth 3.
DEFAULT_STATE = AppState(points=PRESETS["opt"].points, activation="relu", depth=3, beta=1e-3)


def format_number(value: float) -> str:
    """Shortest readable decimal text that parses back to exactly ``value``.

    >>> format_number(0.001), format_number(3.0), format_number(1e-7), format_number(0.1 + 0.2)
    ('0.001', '3', '1e-7', '0.30000000000000004')
    """
    value = float(value)
    text = format(value, ".10g")
    if float(text) != value:
        text = repr(value)  # Python's float repr is the shortest exact round-trip text
    text = re.sub(r"e([+-]?)0*(\d)", lambda m: "e" + m[1].replace("+", "") + m[2], text)
    text = text[:-2] if text.endswith(".0") else text
    return "0" if text == "-0" else text


def format_points(points: Points) -> str:
    """``((0, 0), (4, 1.5))`` -> ``"0:0,4:1.5"`` (the ``pts`` text; also for a text box)."""
    return ",".join(f"{format_number(x)}:{format_number(y)}" for x, y in points)


def parse_points_param(text: str) -> tuple[Points, list[str]]:
    """Parse ``pts`` text strictly; return the points (empty if invalid) and notices.

    More than ``MAX_POINTS`` pairs keep the first ``MAX_POINTS`` (with a notice); any
    malformed pair, non-finite or too large number rejects the whole text.
    """
    chunks = text.split(",", MAX_POINTS)
    notices = []
    if len(chunks) > MAX_POINTS:
        extra = chunks.pop().count(",") + 1
        notices.append(
            f"pts has {MAX_POINTS + extra} points; kept the first {MAX_POINTS} (the limit)"
        )
    points = []
    for k, chunk in enumerate(chunks, start=1):
        pair = chunk.split(":")
        values = [parse_number(p) for p in pair] if len(pair) == 2 else [None]
        if any(v is None for v in values):
            reason = (
                f"pts point {k} {quote(chunk)} is not x:y with numbers within "
                f"+-{MAX_ABS_VALUE_TEXT}"
            )
            return (), [reason]
        points.append((values[0], values[1]))
    return tuple(points), notices


def encode(state: AppState) -> dict[str, str]:
    """The query parameters of ``state`` (all values are plain text).

    >>> encode(DEFAULT_STATE)
    {'pts': '0:0,4:0,5:0,7:2,10:3,11:3', 'act': 'relu', 'depth': '3', 'beta': '0.001'}
    """
    return encode_fields(state, DEFAULT_STATE, _WRITERS, always=("pts", "act", "depth", "beta"))


def encode_fields(
    state: object,
    default: object,
    writers: Mapping[str, tuple[str, Callable[[Any], str]]],
    always: Collection[str],
) -> dict[str, str]:
    """A page's state as query parameters, in the order of ``writers``.

    Parameters
    ----------
    state, default : dataclass instances
        The state to write, and the one an empty link shows.
    writers : mapping of str to (str, callable)
        Each URL key's state field and how its value is written as text.
    always : collection of str
        The keys always written; any other is written only when its field differs from
        ``default``'s (short links).

    >>> encode_fields(DEFAULT_STATE, DEFAULT_STATE, {"beta": ("beta", str)}, always=())
    {}
    """
    return {
        key: write(getattr(state, name))
        for key, (name, write) in writers.items()
        if key in always or getattr(state, name) != getattr(default, name)
    }


def decode(params: Mapping[str, str | list[str]]) -> tuple[AppState, list[str]]:
    """Read a state from query parameters; never raises.

    Parameters
    ----------
    params : mapping of str to str or list of str
        For example ``st.query_params.to_dict()`` or ``dict(st.query_params)``; for a
        list, the last value is used (as Streamlit does).

    Returns
    -------
    state : AppState
        Valid values from ``params``, :data:`DEFAULT_STATE` for missing or invalid ones.
        ``Architecture(state.activation, state.depth, state.leak, state.branching)`` is
        always valid.
    notices : list of str
        One sentence per invalid value, for example
        ``"depth 'x' is not a whole number; using 3"``. Quoted values are shortened and
        reduced to safe characters, so the notices can be shown as Markdown.
    """
    values, notices = decode_fields(params, _FIELDS, DEFAULT_STATE, _show)
    state, arch_notice = _valid_architecture(replace(DEFAULT_STATE, **values))
    return state, notices + arch_notice


#: A key's parser: its text -> (value, or None for "use the default"; notices, the last of
#: which says why when the value is None).
Parser = Callable[[str], tuple[Any, list[str]]]


def decode_fields(
    params: Mapping[str, str | list[str]],
    fields: Mapping[str, tuple[str, Parser]],
    default: object,
    show: Callable[[object], str],
) -> tuple[dict[str, object], list[str]]:
    """The valid values of a page's URL keys, and one notice per repair; never raises.

    Parameters
    ----------
    params : mapping of str to str or list of str
        The query parameters (for a list, the last value is used: :func:`param_text`).
    fields : mapping of str to (str, callable)
        Each URL key's state field and parser (:data:`Parser`); other keys are ignored.
    default : dataclass instance
        The state whose field stands in for a missing or invalid value.
    show : callable
        A default value as the text a notice gives it (``"...; using 3"``); the default
        points are named ``"the default points"``.

    Returns
    -------
    values : dict of str to object
        The valid values by field name (missing and invalid ones left out).
    notices : list of str
        The parsers' notices in key order, the last one of an invalid value ending with
        what is used instead.
    """
    notices: list[str] = []
    values: dict[str, object] = {}
    for key, (name, parse) in fields.items():
        text, garbled = param_text(params, key)
        if text is None and not garbled:
            continue
        value, said = parse(text) if text is not None else (None, [f"{key} is not text"])
        if value is None:
            shown = "the default points" if name == "points" else show(getattr(default, name))
            notices += said[:-1] + [f"{said[-1]}; using {shown}"]
            continue
        notices += said
        values[name] = value
    return values, notices


# ----------------------------------------------------------------------------------------
# One parser per key: text -> (value or None, notices). ``None`` means "use the default"
# (the last notice says why).


def _parse_points(text: str) -> tuple[Points | None, list[str]]:
    if not text.strip():
        return None, ["pts is empty"]
    points, notices = parse_points_param(text)
    if not points:
        return None, notices[:1]
    return points, notices


def _parse_activation(text: str) -> tuple[str | None, list[str]]:
    name = text.strip().lower()
    if name in ACTIVATIONS:
        return name, []
    return None, [f"act {quote(text)} is not one of {', '.join(ACTIVATIONS)}"]


def _parse_depth(text: str) -> tuple[int | None, list[str]]:
    if _INTEGER.fullmatch(text.strip()):
        return int(text), []
    return None, [f"depth {quote(text)} is not a whole number"]


def parse_beta(text: str) -> tuple[float | None, list[str]]:
    """``beta`` (both pages): a positive number up to ``MAX_ABS_VALUE`` (a :data:`Parser`).

    >>> parse_beta("0.05"), parse_beta("-1")
    ((0.05, []), (None, ["beta '-1' is not a positive number up to 1e6"]))
    """
    value = parse_number(text)
    if value is None or value <= 0:
        return None, [f"beta {quote(text)} is not a positive number up to {MAX_ABS_VALUE_TEXT}"]
    return value, []


def _parse_leak(text: str) -> tuple[float | None, list[str]]:
    value = parse_number(text)
    low, high = LEAK_RANGE
    if value is None or not low <= value <= high:
        return None, [f"leak {quote(text)} is not a number from {low:g} to {high:g}"]
    return value, []


def _parse_branching(text: str) -> tuple[tuple[int, ...] | None, list[str]]:
    text = text.strip()
    if not text:
        return (), []
    if _BRANCHING.fullmatch(text):
        levels = tuple(int(m) for m in text.split("-"))
        if len(levels) <= MAX_BRANCH_LEVELS and all(1 <= m <= MAX_BRANCHING for m in levels):
            return levels, []
    return None, [
        f"br {quote(text)} is not a list like 2-3 of at most {MAX_BRANCH_LEVELS} whole "
        f"numbers from 1 to {MAX_BRANCHING}"
    ]


def _parse_flag(text: str) -> tuple[bool | None, list[str]]:
    word = text.strip().lower()
    if word in _TRUE or word in _FALSE:
        return word in _TRUE, []
    return None, [f"dict {quote(text)} is not 1 or 0"]


def preset_parser(names: Collection[str]) -> Parser:
    """The :data:`Parser` of ``preset`` for a page whose presets are ``names``.

    Empty text (no preset) or one of ``names`` (spaces around ignored) is taken.

    >>> parse = preset_parser(["xor", "moons"])
    >>> parse(" xor "), parse(""), parse("opt")
    (('xor', []), ('', []), (None, ["preset 'opt' is not one of xor, moons"]))
    """

    def parse_preset(text: str) -> tuple[str | None, list[str]]:
        name = text.strip()
        if name == "" or name in names:
            return name, []
        return None, [f"preset {quote(text)} is not one of {', '.join(names)}"]

    return parse_preset


# How each key is written (encode), in the order of the link.
_WRITERS = {
    "pts": ("points", format_points),
    "act": ("activation", str),
    "depth": ("depth", lambda depth: str(int(depth))),
    "beta": ("beta", format_number),
    "leak": ("leak", format_number),
    "br": ("branching", lambda levels: "-".join(str(int(m)) for m in levels)),
    "dict": ("show_dictionary", lambda shown: "1" if shown else "0"),
    "preset": ("preset", str),
}

_FIELDS = {
    "pts": ("points", _parse_points),
    "act": ("activation", _parse_activation),
    "depth": ("depth", _parse_depth),
    "beta": ("beta", parse_beta),
    "leak": ("leak", _parse_leak),
    "br": ("branching", _parse_branching),
    "dict": ("show_dictionary", _parse_flag),
    "preset": ("preset", preset_parser(PRESETS)),
}


# ----------------------------------------------------------------------------------------
# Helpers


def _valid_architecture(state: AppState) -> tuple[AppState, list[str]]:
    """Make ``(activation, depth, leak, branching)`` a supported architecture.

    The other fields are already whitelisted, so ``Architecture``'s message (which only
    repeats those values) is safe to show.
    """
    problem = _architecture_problem(state)
    if not problem:
        return state, []
    # The mildest repair first: default branching, then the default depth, then depth 2.
    for depth in (state.depth, DEFAULT_STATE.depth, 2):
        candidate = replace(state, branching=(), depth=depth)
        if not _architecture_problem(candidate):
            changes = [f"depth {depth}"] if depth != state.depth else []
            changes += ["the default branching"] if state.branching else []
            return candidate, [f"{problem}; using {' and '.join(changes)}"]
    return replace(DEFAULT_STATE, points=state.points), [f"{problem}; using the defaults"]


def _architecture_problem(state: AppState) -> str:
    try:
        Architecture(state.activation, state.depth, state.leak, state.branching)
    except ValueError as error:
        return str(error)
    return ""


def param_text(params: Mapping[str, str | list[str]], key: str) -> tuple[str | None, bool]:
    """The text of ``key`` in query parameters, and whether a present value was not text.

    For a list the last value counts (as in Streamlit's query parameters). A missing key
    gives ``(None, False)``; a value that is not text (or a mapping that raises) gives
    ``(None, True)``, so decoding a hostile link never raises.

    >>> param_text({"a": ["1", "2"], "b": 3}, "a"), param_text({"b": 3}, "b")
    (('2', False), (None, True))
    """
    try:
        value = params.get(key)
    except Exception:  # a hostile mapping must not break decoding
        return None, True
    if isinstance(value, list | tuple):
        value = value[-1] if value else None
    if value is None or isinstance(value, str):
        return value, False
    return None, True


def parse_number(text: str) -> float | None:
    """A finite decimal number with ``|value| <= MAX_ABS_VALUE``, else ``None``.

    Only plain decimal text is read (sign, digits, point, exponent; at most 40 characters,
    spaces around ignored): never ``nan``, ``inf``, hex or underscores.

    >>> parse_number(" -1.5e3 "), parse_number("nan"), parse_number("1e7"), parse_number("0x1")
    (-1500.0, None, None, None)
    """
    text = text.strip()
    if len(text) > 40 or not _NUMBER.fullmatch(text):
        return None
    value = float(text)
    if not math.isfinite(value) or abs(value) > MAX_ABS_VALUE:
        return None
    return value


def _show(value: object) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        return format_number(value)
    if isinstance(value, tuple):
        return "-".join(str(v) for v in value)
    return str(value)


def quote(text: str, limit: int = 30) -> str:
    """``'text'`` shortened to ``limit`` characters, unsafe characters replaced by ``?``.

    What a notice quotes from a link is safe to show as Markdown: only letters, digits,
    spaces and ``.:,=-`` are kept.

    >>> quote("x*[y](z)"), quote("a" * 40, limit=5)
    ("'x??y??z?'", "'aaaaa...'")
    """
    short = text if len(text) <= limit else text[:limit] + "..."
    return "'" + _UNSAFE.sub("?", short) + "'"
