"""The URL codec: round trips, the DESIGN.md §4 contract, and hostile input."""

from __future__ import annotations

import math
from dataclasses import dataclass

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from convexviz.activations import ACTIVATIONS
from convexviz.architecture import MAX_DEPTH, Architecture
from convexviz.datasets import PRESETS
from convexviz.limits import LEAK_RANGE, MAX_ABS_VALUE, MAX_POINTS
from convexviz.ui.state import (
    DEFAULT_STATE,
    AppState,
    decode,
    decode_fields,
    encode,
    encode_fields,
    format_number,
    format_points,
    parse_points_param,
    preset_parser,
)

CONTRACT_URL = {"pts": "0:0,4:0,5:0,7:2,10:3,11:3", "act": "relu", "depth": "3", "beta": "0.001"}


def test_contract_example_decodes_exactly():
    state, notices = decode(CONTRACT_URL)
    assert notices == []
    assert state.points == ((0, 0), (4, 0), (5, 0), (7, 2), (10, 3), (11, 3))
    assert (state.activation, state.depth, state.beta) == ("relu", 3, 0.001)


def test_default_state_encodes_to_the_contract_example():
    assert encode(DEFAULT_STATE) == CONTRACT_URL


def test_empty_url_gives_the_default_state():
    assert decode({}) == (DEFAULT_STATE, [])


def test_optional_keys_only_when_not_default():
    state = AppState(
        points=((1.5, -2.0),),
        activation="sign",
        depth=4,
        beta=0.25,
        leak=0.2,
        branching=(2, 3),
        show_dictionary=True,
        preset="zshape",
    )
    assert encode(state) == {
        "pts": "1.5:-2",
        "act": "sign",
        "depth": "4",
        "beta": "0.25",
        "leak": "0.2",
        "br": "2-3",
        "dict": "1",
        "preset": "zshape",
    }
    assert decode(encode(state)) == (state, [])


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (0.001, "0.001"),
        (3.0, "3"),
        (-0.0, "0"),
        (1e-7, "1e-7"),
        (1e20, "1e20"),
        (-2.5e-12, "-2.5e-12"),
        (0.1 + 0.2, "0.30000000000000004"),
        (123456.5, "123456.5"),
    ],
)
def test_format_number_is_short_and_exact(value, text):
    assert format_number(value) == text
    assert float(text) == value
    assert "+" not in text  # '+' would turn into a space in a query string


# ----------------------------------------------------------------------------------------
# Round trip (property)

coordinate = st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False)
points = st.lists(st.tuples(coordinate, coordinate), min_size=1, max_size=30).map(tuple)


@st.composite
def app_states(draw):
    activation = draw(st.sampled_from(sorted(ACTIVATIONS)))
    depth = draw(st.integers(2, MAX_DEPTH[activation]))
    branching: tuple[int, ...] = ()
    if activation in ("sign", "threshold") and depth >= 3 and draw(st.booleans()):
        branching = tuple(
            draw(st.lists(st.integers(1, 5), min_size=depth - 2, max_size=depth - 2))
        )
    return AppState(
        points=draw(points),
        activation=activation,
        depth=depth,
        beta=draw(st.floats(1e-12, MAX_ABS_VALUE, exclude_min=False)),
        leak=draw(st.floats(*LEAK_RANGE)),
        branching=branching,
        show_dictionary=draw(st.booleans()),
        preset=draw(st.sampled_from(["", *PRESETS])),
    )


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(app_states())
def test_round_trip(state):
    params = encode(state)
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in params.items())
    assert decode(params) == (state, [])


@given(points)
def test_points_text_round_trip(pts):
    assert parse_points_param(format_points(pts)) == (pts, [])


# ----------------------------------------------------------------------------------------
# Invalid and hostile input: defaults plus a notice, never an exception

INJECTIONS = [
    "__import__('os').system('rm -rf /')",
    "<script>alert(1)</script>",
    "[click](javascript:alert(1))",
    "${7*7}",
    "1;DROP TABLE points",
    "\x00\x01\x02",
    "é" * 50,
    "1" * 5000,
]


@pytest.mark.parametrize(
    ("key", "value", "words"),
    [
        ("depth", "x", "depth 'x' is not a whole number; using 3"),
        ("depth", "3.0", "not a whole number"),
        ("depth", "1", "depth must be an integer >= 2"),
        ("depth", "99", "relu depth 99 is not supported"),
        ("depth", "-5", "depth must be an integer >= 2"),
        ("beta", "0", "beta '0' is not a positive number"),
        ("beta", "-1", "not a positive number"),
        ("beta", "nan", "not a positive number"),
        ("beta", "inf", "not a positive number"),
        ("beta", "1e400", "not a positive number"),
        ("beta", "2e6", "not a positive number"),
        ("beta", "0x10", "not a positive number"),
        ("beta", "1_000", "not a positive number"),
        ("act", "tanh", "act 'tanh' is not one of relu, leaky"),
        ("leak", "1.5", "leak '1.5' is not a number from 0.01 to 0.99"),
        ("leak", "0.001", "leak '0.001' is not a number from 0.01 to 0.99"),
        ("br", "2-x", "br '2-x' is not a list"),
        ("br", "99", "br '99' is not a list"),
        ("dict", "maybe", "dict 'maybe' is not 1 or 0"),
        ("preset", "nope", "preset 'nope' is not one of"),
        ("pts", "", "pts is empty; using the default points"),
        ("pts", "1:2,3", "pts point 2 '3' is not x:y"),
        ("pts", "1:2,nan:3", "pts point 2 'nan:3'"),
        ("pts", "1:inf", "pts point 1"),
        ("pts", "1:2e6", "within +-1e6"),
        ("pts", "1:2:3", "pts point 1"),
        ("pts", "1:2,,3:4", "pts point 2 ''"),
    ],
)
def test_invalid_value_falls_back_with_notice(key, value, words):
    state, notices = decode({**CONTRACT_URL, key: value})
    assert len(notices) == 1
    assert words in notices[0]
    field = {"act": "activation", "pts": "points", "br": "branching", "dict": "show_dictionary"}
    name = field.get(key, key)
    assert getattr(state, name) == getattr(DEFAULT_STATE, name)


@pytest.mark.parametrize("value", INJECTIONS)
@pytest.mark.parametrize("key", ["pts", "act", "depth", "beta", "leak", "br", "dict", "preset"])
def test_injection_strings_are_only_text(key, value):
    state, notices = decode({key: value})
    assert state == DEFAULT_STATE
    assert len(notices) == 1
    # Quoted values are short and hold no characters that Markdown or HTML interpret.
    assert len(notices[0]) < 400
    assert not set("<>[]()`$\\_*{}") & set(notices[0].split(";")[0].split("'")[1])


def test_unknown_keys_are_ignored():
    state, notices = decode({**CONTRACT_URL, "evil": "__import__('os')", "x": ["1", "2"]})
    assert (state, notices) == (decode(CONTRACT_URL)[0], [])


def test_list_values_use_the_last_entry():
    state, notices = decode({"depth": ["2", "4"], "act": [], "beta": ["oops", "0.5"]})
    assert (state.depth, state.activation, state.beta, notices) == (4, "relu", 0.5, [])


@pytest.mark.parametrize("value", [5, None, 3.5, b"3", object(), ["x", 7]])
def test_non_text_values(value):
    state, notices = decode({"depth": value})
    assert state.depth == DEFAULT_STATE.depth
    assert len(notices) <= 1


def test_hostile_mapping_does_not_raise():
    class Exploding(dict):
        def get(self, key, default=None):
            raise RuntimeError("boom")

    assert decode(Exploding())[0] == DEFAULT_STATE


def test_ten_thousand_points_are_truncated():
    text = ",".join(f"{k}:{k % 7}" for k in range(10_000))
    state, notices = decode({"pts": text})
    assert len(state.points) == MAX_POINTS
    assert state.points[:3] == ((0, 0), (1, 1), (2, 2))
    assert notices == [f"pts has 10000 points; kept the first {MAX_POINTS} (the limit)"]


def test_huge_garbage_is_rejected_quickly():
    state, notices = decode({"pts": "9" * 1_000_000, "beta": "1" * 1_000_000})
    assert state == DEFAULT_STATE
    assert len(notices) == 2
    assert all(len(n) < 200 for n in notices)


def test_unsupported_combination_repairs_the_depth():
    state, notices = decode({"act": "leaky_relu", "depth": "3"})
    assert (state.activation, state.depth) == ("leaky_relu", 2)
    assert notices == [
        "leaky_relu depth 3 is not supported: deep leaky-ReLU chains are not covered by the "
        "theory (their units are not capped ramps); use depth 2, or relu/abs for deeper nets; "
        "using depth 2"
    ]


def test_branching_of_the_wrong_length_falls_back():
    state, notices = decode({"act": "sign", "depth": "4", "br": "3"})
    assert (state.depth, state.branching) == (4, ())
    assert notices and notices[0].endswith("using the default branching")


@settings(max_examples=300)
@given(
    st.dictionaries(
        st.sampled_from(["pts", "act", "depth", "beta", "leak", "br", "dict", "preset", "zz"]),
        st.text(max_size=60),
    )
)
def test_any_text_decodes_to_a_valid_state(params):
    state, notices = decode(params)
    assert isinstance(notices, list) and all(isinstance(n, str) for n in notices)
    Architecture(state.activation, state.depth, state.leak, state.branching)
    assert 1 <= len(state.points) <= MAX_POINTS
    assert all(math.isfinite(v) and abs(v) <= MAX_ABS_VALUE for p in state.points for v in p)
    assert 0 < state.beta <= MAX_ABS_VALUE and math.isfinite(state.beta)
    assert LEAK_RANGE[0] <= state.leak <= LEAK_RANGE[1]
    assert decode(encode(state)) == (state, [])


# ---------------------------------------------------------------- the pieces both codecs share


@dataclass(frozen=True)
class _Toy:
    points: tuple = ((0.0, 0.0),)
    size: int = 3
    word: str = ""


def _parse_size(text):
    if text.isdigit():
        return int(text), (["size rounded"] if text.startswith("0") else [])
    return None, ["first problem", f"size {text!r} is not digits"]


_TOY_FIELDS = {"n": ("size", _parse_size), "w": ("word", preset_parser(["a", "b"]))}


def test_decode_fields_reads_the_fields_given_and_says_each_repair():
    values, notices = decode_fields(
        {"n": "07", "w": "b", "other": "x"}, _TOY_FIELDS, _Toy(), lambda v: f"<{v}>"
    )
    assert values == {"size": 7, "word": "b"} and notices == ["size rounded"]
    values, notices = decode_fields({"n": "x", "w": ["a", 5]}, _TOY_FIELDS, _Toy(), str)
    assert values == {}
    assert notices == ["first problem", "size 'x' is not digits; using 3", "w is not text; using "]
    assert decode_fields({}, _TOY_FIELDS, _Toy(), str) == ({}, [])


def test_preset_parser_takes_its_own_names_only():
    parse = preset_parser(["a", "b"])
    assert parse(" a ") == ("a", []) and parse("") == ("", [])
    assert parse("opt") == (None, ["preset 'opt' is not one of a, b"])
    assert preset_parser(PRESETS)("opt") == ("opt", [])


def test_encode_fields_writes_the_keys_always_asked_and_the_changed_ones_in_order():
    writers = {"w": ("word", str.upper), "n": ("size", lambda n: f"{n}!")}
    assert encode_fields(_Toy(), _Toy(), writers, always=()) == {}
    assert encode_fields(_Toy(), _Toy(), writers, always=("n",)) == {"n": "3!"}
    changed = encode_fields(_Toy(size=4, word="b"), _Toy(), writers, always=("n",))
    assert list(changed.items()) == [("w", "B"), ("n", "4!")]
