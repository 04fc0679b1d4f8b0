"""Min/max envelope decimation for line plots (pure numpy).

A line of ``n`` points drawn into ``width`` pixels cannot show more than about two values per
pixel column: the lowest and the highest. :func:`decimate` splits the points into at most
``width`` contiguous buckets and keeps, for each bucket, the point holding its minimum and the
point holding its maximum, in their original order. The drawn line therefore has the same
visual envelope as the full line, including every spike, at a cost bounded by the plot's width.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]


def bucket_size(n: int, buckets: int) -> int:
    """Points per bucket (the last bucket may hold fewer) when ``n`` points share ``buckets``.

    Args:
        n: number of points (>= 0).
        buckets: the most buckets wanted (>= 1).
    """
    if buckets < 1:
        raise ValueError(f"buckets must be >= 1, got {buckets}")
    return max(1, -(-n // buckets))


def envelope_indices(y: FloatArray, buckets: int) -> npt.NDArray[np.intp]:
    """Indices of each bucket's minimum and maximum point, sorted and unique.

    Lines of at most ``2 * buckets`` points are returned whole. ``y`` must be finite.

    Args:
        y: the values, in drawing order.
        buckets: the most buckets (typically the axes' width in pixels).

    Returns:
        Ascending indices into ``y``; at most ``2 * buckets`` of them.
    """
    n = len(y)
    if n <= 2 * buckets:
        return np.arange(n, dtype=np.intp)
    size = bucket_size(n, buckets)
    rows = -(-n // size)
    # Pad the last bucket so every bucket is a row; padding never wins a min or a max.
    low = np.full(rows * size, np.inf)
    high = np.full(rows * size, -np.inf)
    low[:n] = y
    high[:n] = y
    offsets = np.arange(rows, dtype=np.intp) * size
    mins = low.reshape(rows, size).argmin(axis=1) + offsets
    maxs = high.reshape(rows, size).argmax(axis=1) + offsets
    return np.unique(np.concatenate([mins, maxs]))


def decimate(x: FloatArray, y: FloatArray, buckets: int) -> tuple[FloatArray, FloatArray]:
    """Reduce a line to each bucket's min and max points, keeping its visual envelope.

    Args:
        x: the abscissae (steps), same length as ``y``.
        y: the values; must be finite (drop NaN/inf before, they cannot be drawn anyway).
        buckets: the most buckets (about the axes' width in pixels).

    Returns:
        ``(x, y)`` views of at most ``2 * buckets`` points, in the original order.

    Raises:
        ValueError: ``x`` and ``y`` differ in length, or ``buckets < 1``.
    """
    if len(x) != len(y):
        raise ValueError(f"x and y must have the same length, got {len(x)} and {len(y)}")
    if buckets < 1:
        raise ValueError(f"buckets must be >= 1, got {buckets}")
    keep = envelope_indices(np.asarray(y, dtype=np.float64), buckets)
    return np.asarray(x, dtype=np.float64)[keep], np.asarray(y, dtype=np.float64)[keep]
