"""Decimation keeps every line's visual envelope: each bucket's min and max survive."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from jupyter_mlpipe.plots.decimate import bucket_size, decimate, envelope_indices

finite = st.floats(min_value=-1e9, max_value=1e9, allow_nan=False, allow_infinity=False)


@settings(max_examples=200, deadline=None)
@given(y=arrays(np.float64, st.integers(0, 3000), elements=finite), buckets=st.integers(1, 400))
def test_envelope_keeps_each_bucket_min_and_max(y: np.ndarray, buckets: int) -> None:
    x = np.arange(len(y), dtype=np.float64) * 0.5
    dx, dy = decimate(x, y, buckets)
    assert len(dx) == len(dy)
    assert len(dy) <= 2 * buckets or len(dy) == len(y)
    if len(y) == 0:
        return
    # the decimated line is a subsequence of the original, in order
    keep = np.rint(dx * 2).astype(int)
    assert np.all(np.diff(keep) > 0)
    assert np.array_equal(y[keep], dy)
    # the global extremes survive, and so does every bucket's
    assert dy.min() == y.min() and dy.max() == y.max()
    if len(y) > 2 * buckets:
        size = bucket_size(len(y), buckets)
        for start in range(0, len(y), size):
            chunk = y[start : start + size]
            inside = dy[(keep >= start) & (keep < start + size)]
            assert inside.min() == chunk.min() and inside.max() == chunk.max()


def test_short_lines_are_kept_whole() -> None:
    y = np.array([3.0, 1.0, 2.0])
    assert list(envelope_indices(y, 2)) == [0, 1, 2]


def test_long_line_is_bounded_by_twice_the_buckets() -> None:
    y = np.sin(np.linspace(0, 50, 100_000))
    assert len(envelope_indices(y, 300)) <= 600


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(ValueError, match="same length"):
        decimate(np.zeros(3), np.zeros(4), 10)
    with pytest.raises(ValueError, match="buckets"):
        decimate(np.zeros(3), np.zeros(3), 0)
