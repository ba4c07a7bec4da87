"""The plane page's URL codec: round trips, the DESIGN.md §10 contract, tampered links."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from convexviz.datasets2d import PLANE_PRESETS
from convexviz.limits import MAX_ABS_VALUE, MAX_PLANE_POINTS
from convexviz.ui.plane_state import (
    DEFAULT_PLANE_STATE,
    PlaneState,
    decode_plane,
    encode_plane,
    format_plane_points,
    parse_plane_points,
    sanitize_plane_points,
)

CONTRACT = {"pts": "-1:-1:1,1:1:1,-1:1:-1,1:-1:-1", "beta": "0.05"}


def test_contract_example_decodes_exactly():
    state, notices = decode_plane(CONTRACT)
    assert notices == []
    assert state.points == ((-1, -1, 1), (1, 1, 1), (-1, 1, -1), (1, -1, -1))
    assert state.beta == 0.05 and state.label == 1.0 and state.preset == ""
    assert encode_plane(state) == CONTRACT


def test_empty_link_gives_the_xor_preset():
    assert decode_plane({}) == (DEFAULT_PLANE_STATE, [])
    assert DEFAULT_PLANE_STATE.points == PLANE_PRESETS["xor"].points
    assert DEFAULT_PLANE_STATE.beta == PLANE_PRESETS["xor"].beta


def test_optional_keys_only_when_not_default():
    state = PlaneState(((0.5, -2.0, 0.25),), beta=0.3, label=-1.0, preset="disc")
    assert encode_plane(state) == {
        "pts": "0.5:-2:0.25",
        "beta": "0.3",
        "label": "-1",
        "preset": "disc",
    }


def test_a_tampered_link_keeps_every_good_part():
    state, notices = decode_plane(
        {
            "pts": "0:0:1,1:x:1,2:2:-1,3:3,4:4:4:4,nan:0:1,5:5:1e7,6:6:-1",
            "beta": "-2",
            "label": "oops",
            "preset": "<script>",
            "junk": "ignored",
        }
    )
    assert state.points == ((0, 0, 1), (2, 2, -1), (6, 6, -1))
    assert state.beta == DEFAULT_PLANE_STATE.beta and state.label == 1.0 and state.preset == ""
    text = " | ".join(notices)
    assert "point 2 '1:x:1'" in text and "point 4 '3:3'" in text and "point 5" in text
    assert "2 more points" in text  # points 6 and 7 counted, not named
    assert "beta '-2'" in text and "label 'oops'" in text
    assert "preset '?script?'" in text  # unsafe characters never reach the page
    assert "junk" not in text


def test_no_good_point_falls_back_to_the_default_points():
    state, notices = decode_plane({"pts": "a:b:c", "beta": "0.1"})
    assert state.points == DEFAULT_PLANE_STATE.points and state.beta == 0.1
    assert notices == [
        "point 1 'a:b:c' is not x1:x2:y with numbers within +-1e6; using the default points"
    ]
    assert decode_plane({"pts": ""})[1] == ["pts is empty; using the default points"]


def test_repeats_are_dropped_and_the_cap_keeps_the_first_points():
    text = ",".join(f"{k}:0:1" for k in range(MAX_PLANE_POINTS + 7)) + ",0:0:1"
    state, notices = decode_plane({"pts": text})
    assert state.points == tuple((float(k), 0.0, 1.0) for k in range(MAX_PLANE_POINTS))
    assert notices == [
        "1 repeated point dropped",
        f"{MAX_PLANE_POINTS + 7} points; kept the first {MAX_PLANE_POINTS} (the limit of the "
        "plane)",
    ]


def test_values_beyond_the_limit_are_refused():
    big = f"{MAX_ABS_VALUE * 1.5:g}"
    points, notices = parse_plane_points(f"0:0:1,{big}:0:1,0:{big}:1,0:0:{big}")
    assert points == ((0, 0, 1),) and len(notices) == 3
    assert sanitize_plane_points([[0, 0, MAX_ABS_VALUE], [0, 0, 2 * MAX_ABS_VALUE]]) == (
        (0, 0, MAX_ABS_VALUE),
    )


def test_list_values_take_the_last_and_garbled_values_give_notices():
    state, notices = decode_plane({"beta": ["0.2", "0.3"], "label": 5})
    assert state.beta == 0.3 and notices == ["label is not text; using 1"]


def test_sanitize_refuses_anything_but_three_numbers():
    raw = [[0, 0, 1], [True, 0, 1], [0, 0], "abc", None, [0, 0, float("inf")], (1, 2, 3)]
    assert sanitize_plane_points(raw) == ((0, 0, 1), (1, 2, 3))
    assert sanitize_plane_points("0:0:1") == () and sanitize_plane_points(None) == ()


finite = st.floats(-MAX_ABS_VALUE, MAX_ABS_VALUE, allow_nan=False, allow_infinity=False)
triples = st.tuples(finite, finite, finite)


@st.composite
def plane_states(draw) -> PlaneState:
    points = sanitize_plane_points(draw(st.lists(triples, min_size=1, max_size=12)))
    beta = draw(st.floats(1e-9, MAX_ABS_VALUE, allow_nan=False))
    label = draw(st.one_of(st.sampled_from([1.0, -1.0]), finite))
    preset = draw(st.sampled_from(["", *PLANE_PRESETS]))
    return PlaneState(points, beta, label, preset)


@settings(max_examples=300)
@given(plane_states())
def test_round_trip_restores_the_state_exactly(state):
    decoded, notices = decode_plane(encode_plane(state))
    assert notices == []
    assert decoded == state


@given(st.lists(triples, max_size=20))
def test_points_text_round_trip(raw):
    points = sanitize_plane_points(raw)
    parsed, notices = parse_plane_points(format_plane_points(points))
    assert parsed == points and notices == []


@settings(max_examples=300)
@given(st.dictionaries(st.sampled_from(["pts", "beta", "label", "preset", "x"]), st.text()))
def test_decoding_never_raises_and_always_gives_a_valid_state(params):
    state, notices = decode_plane(params)
    assert 1 <= len(state.points) <= MAX_PLANE_POINTS
    assert all(math.isfinite(v) and abs(v) <= MAX_ABS_VALUE for p in state.points for v in p)
    assert 0 < state.beta <= MAX_ABS_VALUE and math.isfinite(state.label)
    assert state.preset == "" or state.preset in PLANE_PRESETS
    assert all(isinstance(n, str) for n in notices)


@pytest.mark.parametrize("name", list(PLANE_PRESETS))
def test_every_preset_survives_the_link(name):
    preset = PLANE_PRESETS[name]
    state = PlaneState(sanitize_plane_points(preset.points), preset.beta, preset=name)
    assert decode_plane(encode_plane(state)) == (state, [])
