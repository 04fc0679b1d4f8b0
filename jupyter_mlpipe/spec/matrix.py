"""Matrix params: the 14 options of a polyaxonfile matrix and what each one means.

Every param of ``hptuning.matrix`` uses exactly one option. Discrete options enumerate a finite
list (usable by every algorithm, including grid search); distributions are sampled (random
search, hyperband, bo) and refused by grid search — except ``pvalues``, a categorical
distribution with a finite support.

| option | arguments | meaning |
|---|---|---|
| ``values`` | list | the listed values, in order; repeated values are dropped (with a warning) |
| ``pvalues`` | ``[[v, p], ...]`` or ``{v: p}`` | ``v`` with probability ``p``; the ``p`` sum to 1 |
| ``range`` | start, stop[, step=1] | ``start, start+step, ...`` below ``stop`` (stop excluded) |
| ``linspace`` | start, stop, num | ``num`` evenly spaced points, both ends included |
| ``logspace`` | start, stop, num[, base=10] | ``base**x``, x in ``linspace(start, stop, num)`` |
| ``geomspace`` | start, stop, num | ``num`` points in geometric progression, real end points |
| ``uniform`` | low, high | continuous, uniform on ``[low, high)`` |
| ``quniform`` | low, high, q | ``round(uniform(low, high) / q) * q`` |
| ``loguniform`` | low, high | ``exp(uniform(low, high))``: the bounds are natural-log exponents |
| ``qloguniform`` | low, high, q | ``round(exp(uniform(low, high)) / q) * q`` |
| ``normal`` | loc, scale | normal with mean ``loc``, standard deviation ``scale`` |
| ``qnormal`` | loc, scale, q | ``round(normal(loc, scale) / q) * q`` |
| ``lognormal`` | loc, scale | ``exp(normal(loc, scale))`` |
| ``qlognormal`` | loc, scale, q | ``round(exp(normal(loc, scale)) / q) * q`` |

Conventions:

- Range-like options (range, linspace, logspace, geomspace) and the uniform family need
  ``start < stop`` / ``low < high``; ``num`` is an integer ``>= 1``; ``step``, ``scale``, ``q``
  are positive; ``geomspace`` end points are non-zero with the same sign.
- Quantised (``q``) variants **round to the nearest multiple** of ``q`` (Python's ``round``:
  exact halves go to the even multiple), so a value may lie up to ``q/2`` outside the bounds.
  When ``q`` is an integer the value is an ``int``.
- Enumerated points (range, linspace, logspace, geomspace) are rounded to 15 significant digits
  to drop binary noise: ``linspace: 0.001:0.1:5`` gives ``0.001, 0.02575, 0.0505, 0.07525,
  0.1``. When every argument is an integer and every point is whole, points are ``int``.
- Sampling uses :class:`numpy.random.Generator` (PCG64) seeded by ``hptuning.seed``; ``0`` is a
  seed like any other.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # numpy loads only when a spec needs it (fast supervisor start)
    import numpy as np

#: Options with a finite, ordered list of points (grid search accepts only these).
DISCRETE = ("values", "range", "linspace", "logspace", "geomspace")
#: Options that are probability distributions (grid search refuses them).
DISTRIBUTIONS = (
    "pvalues",
    "uniform",
    "quniform",
    "loguniform",
    "qloguniform",
    "normal",
    "qnormal",
    "lognormal",
    "qlognormal",
)
#: All matrix options.
OPTIONS = DISCRETE + DISTRIBUTIONS
#: Largest exponent ``math.exp`` accepts without overflowing.
MAX_EXP = 709.0


@dataclass(frozen=True)
class MatrixParam:
    """One matrix param: its option and that option's normalised arguments.

    Attributes:
        name: the param name (key under ``hptuning.matrix``).
        option: one of :data:`OPTIONS`.
        args: named arguments, e.g. ``{"start": 0.001, "stop": 0.1, "num": 5}``; ``values`` and
            ``pvalues`` hold ``{"values": [...]}`` and ``{"values": [...], "p": [...]}``.
        line: 1-based line of the param in the spec (0 when built in code).
        col: 1-based column of the param in the spec.
    """

    name: str
    option: str
    args: Mapping[str, Any]
    line: int = field(default=0, compare=False)
    col: int = field(default=0, compare=False)

    @property
    def is_distribution(self) -> bool:
        """True for options that are sampled rather than enumerated."""
        return self.option in DISTRIBUTIONS

    @property
    def is_finite(self) -> bool:
        """True when the param can only take finitely many values (``pvalues`` included)."""
        return self.option in DISCRETE or self.option == "pvalues"

    @property
    def quantised(self) -> bool:
        """True for the ``q`` variants."""
        return self.option.startswith("q")

    def choices(self) -> list[Any]:
        """The finite support, in order, without repeats.

        Raises:
            ValueError: for continuous distributions (callers check :attr:`is_finite` first).
        """
        return list(self._points)

    @cached_property
    def _points(self) -> tuple[Any, ...]:
        # Computed once per param: random search samples from these lists many times.
        if self.option == "values":
            return tuple(unique(self.args["values"]))
        if self.option == "pvalues":
            return tuple(self.args["values"])
        return tuple(enumerate_points(self.option, self.args))

    def sample(self, rng: np.random.Generator) -> Any:
        """Draw one value with ``rng`` (see the module table for each option's law)."""
        a = self.args
        if self.option == "pvalues":
            return a["values"][int(rng.choice(len(a["p"]), p=a["p"]))]
        if self.is_finite:
            points = self._points
            return points[int(rng.integers(len(points)))]
        if self.option in ("uniform", "quniform", "loguniform", "qloguniform"):
            raw = float(rng.uniform(a["low"], a["high"]))
        else:
            raw = float(rng.normal(a["loc"], a["scale"]))
        return self.from_raw(raw)

    def from_raw(self, raw: float) -> Any:
        """Map a draw of the underlying uniform/normal variable to the param's value.

        ``loguniform`` and ``lognormal`` exponentiate; ``q`` variants then round to ``q``.
        """
        value = safe_exp(raw) if "log" in self.option else raw
        if self.quantised:
            return quantise(value, self.args["q"])
        return value

    def to_dict(self) -> dict[str, Any]:
        """``{option: args}``, the dict form this param can be written in."""
        if self.option == "values":
            return {"values": list(self.args["values"])}
        if self.option == "pvalues":
            pairs = zip(self.args["values"], self.args["p"], strict=True)
            return {"pvalues": [[v, p] for v, p in pairs]}
        return {self.option: dict(self.args)}


def enumerate_points(option: str, args: Mapping[str, Any]) -> list[Any]:
    """The points of a range-like option (``range``, ``linspace``, ``logspace``, ``geomspace``).

    Arguments are assumed validated (see :mod:`jupyter_mlpipe.spec.options`).
    """
    if option == "range":
        start, stop, step = args["start"], args["stop"], args["step"]
        if all(isinstance(v, int) for v in (start, stop, step)):
            return list(range(start, stop, step))
        count = range_count(start, stop, step)
        points: list[Any] = [start + i * step for i in range(count)]
    elif option == "linspace":
        import numpy as np

        points = np.linspace(args["start"], args["stop"], args["num"]).tolist()
    elif option == "logspace":
        import numpy as np

        points = np.logspace(args["start"], args["stop"], args["num"], base=args["base"]).tolist()
    elif option == "geomspace":
        import numpy as np

        points = np.geomspace(args["start"], args["stop"], args["num"]).tolist()
    else:
        raise ValueError(f"{option} has no enumerable points")
    whole = all(isinstance(v, int) for v in args.values())
    return unique([tidy(p, whole) for p in points])


def range_count(start: float, stop: float, step: float) -> int:
    """Number of points of ``range`` (numpy's ``arange`` rule: ``ceil((stop - start) / step)``)."""
    return max(0, math.ceil((stop - start) / step))


def tidy(value: float, whole: bool = False) -> Any:
    """Round to 15 significant digits; return an int when ``whole`` and the value is integral."""
    rounded = float(f"{value:.15g}")
    if whole and rounded.is_integer():
        return int(rounded)
    return rounded


def quantise(value: float, q: float) -> Any:
    """The nearest multiple of ``q`` (halves to even); an ``int`` when ``q`` is an int."""
    if not math.isfinite(value):
        return value
    multiple = round(value / q) * q
    if isinstance(q, int):
        return int(multiple)
    return tidy(multiple)


def safe_exp(x: float) -> float:
    """``exp(x)`` that saturates instead of raising for huge ``x``."""
    return math.exp(min(x, MAX_EXP))


def key(value: Any) -> str:
    """A canonical text for a value or a param dict, used to detect repeats."""
    return json.dumps(value, sort_keys=True, default=repr)


def unique(values: Sequence[Any]) -> list[Any]:
    """``values`` without repeats (by :func:`key`), first occurrences kept in order."""
    seen: set[str] = set()
    out = []
    for value in values:
        k = key(value)
        if k not in seen:
            seen.add(k)
            out.append(value)
    return out
