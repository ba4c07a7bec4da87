"""The portable random stream: Mulberry32 exactly, vectorized, and what JavaScript computes."""

from __future__ import annotations

import json
import shutil
import subprocess

import numpy as np
import pytest

from convexviz.portable_random import INCREMENT, MAX_SEED, uniforms

SEEDS = [0, 1, 2, 3, 12345, 0x6D2B79F5, 2**31 - 1, 2**31, MAX_SEED]


def mulberry32_scalar(seed: int, count: int) -> list[float]:
    """Mulberry32 one draw at a time, with Python integers masked to 32 bits."""
    mask = 0xFFFFFFFF
    a, out = seed, []
    for _ in range(count):
        a = (a + INCREMENT) & mask
        t = ((a ^ (a >> 15)) * (a | 1)) & mask
        t = ((t + (((t ^ (t >> 7)) * (t | 61)) & mask)) & mask) ^ t
        out.append((t ^ (t >> 14)) / 2**32)
    return out


@pytest.mark.parametrize("seed", SEEDS)
def test_vectorized_stream_equals_the_sequential_algorithm(seed):
    expected = mulberry32_scalar(seed, 200)
    got = uniforms(seed, 200)
    assert got.tolist() == expected  # bit for bit
    assert np.all((got >= 0) & (got < 1))
    assert np.all(got * 2**32 == np.floor(got * 2**32))  # multiples of 2**-32


def test_start_skips_draws():
    assert uniforms(7, 5, start=10).tolist() == uniforms(7, 15).tolist()[10:]
    assert uniforms(7, 0).size == 0


def test_streams_of_neighbouring_seeds_differ_and_look_uniform():
    draws = np.stack([uniforms(s, 4000) for s in range(4)])
    assert all(np.mean(draws[i] == draws[j]) < 0.01 for i in range(4) for j in range(i))
    assert np.allclose(draws.mean(axis=1), 0.5, atol=0.02)
    assert np.allclose(draws.var(axis=1), 1 / 12, atol=0.005)


@pytest.mark.parametrize("seed", [-1, MAX_SEED + 1, 1.5, True, "3"])
def test_bad_seeds_are_refused(seed):
    with pytest.raises(ValueError, match="seed must be"):
        uniforms(seed, 3)


def test_javascript_reproduces_the_stream_bit_for_bit():
    """The stream written the usual JavaScript way (Math.imul) gives the same doubles."""
    node = shutil.which("node")
    if node is None:  # Node is a lint-only dependency (package.json); the app never needs it
        pytest.skip("node is not installed")
    script = (
        "const out = {};"
        f"for (const seed of {json.dumps(SEEDS)}) {{"
        "  let a = seed | 0; const draws = [];"
        "  for (let i = 0; i < 50; i++) {"
        "    a = (a + 0x6D2B79F5) | 0;"
        "    let t = Math.imul(a ^ (a >>> 15), a | 1);"
        "    t = (t + Math.imul(t ^ (t >>> 7), t | 61)) ^ t;"
        "    draws.push(((t ^ (t >>> 14)) >>> 0) / 4294967296);"
        "  }"
        "  out[seed] = draws;"
        "}"
        "console.log(JSON.stringify(out));"
    )
    proc = subprocess.run([node, "-e", script], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    from_js = json.loads(proc.stdout)
    for seed in SEEDS:
        assert from_js[str(seed)] == uniforms(seed, 50).tolist()
