"""polyaxon-schemas 0.5's ``test_matrix.py`` cases, against this project's matrix params.

Where the answer differs on purpose (whole points as ints, ``num`` must be a whole number), the
departure is listed in docs/compat-polyaxon.md and asserted here as such.
"""

from __future__ import annotations

import numpy as np
import pytest

from jupyter_mlpipe.errors import SpecError
from jupyter_mlpipe.spec import parse_spec

SPEC = (
    "version: 1\nkind: group\nhptuning:\n  random_search: {n_experiments: 1}\n"
    "  matrix:\n    p: %s\nrun:\n  cmd: python t.py\n"
)


def param(option: str):
    return parse_spec(SPEC % option, file="m.yml").matrix["p"]


def refused(option: str) -> SpecError:
    with pytest.raises(SpecError) as info:
        parse_spec(SPEC % option, file="m.yml")
    assert info.value.location.startswith("m.yml:")
    return info.value


def test_matrix_requires_exactly_one_option() -> None:
    refused("{}")
    refused("{values: [1, 2, 3], linspace: '1:2:1'}")


@pytest.mark.parametrize("values", [[1, 2, 3], ["ok", "nook"], [[1, 2], [2, 4]]])
def test_values_option(values: list) -> None:
    p = param(f"{{values: {values!r}}}")
    assert p.to_dict() == {"values": values}
    assert p.choices() == values
    assert not p.is_distribution and p.is_finite
    assert p.sample(np.random.default_rng(0)) in values


@pytest.mark.parametrize(
    "pairs",
    [
        "[[1, 0.1], [2, 0.3], [3, 6]]",
        "[[1, 0.1], [2, 0.3], [3, 0.8]]",
        "[[1, 0.1], [2, 0.3], [3, -0.6]]",
        "[ok, nook]",
    ],
)
def test_pvalues_out_of_range_or_above_one_are_refused(pairs: str) -> None:
    refused(f"{{pvalues: {pairs}}}")


def test_pvalues_option() -> None:
    p = param("{pvalues: [[1, 0.1], [2, 0.1], [3, 0.8]]}")
    assert p.to_dict() == {"pvalues": [[1, 0.1], [2, 0.1], [3, 0.8]]}
    assert p.is_distribution and p.is_finite and len(p.choices()) == 3
    assert p.sample(np.random.default_rng(0)) in (1, 2, 3)


@pytest.mark.parametrize(
    ("option", "expected"),
    [
        ("{range: [1, 2, 3]}", np.arange(1, 2, 3)),
        ("{range: '0:10:1'}", np.arange(0, 10, 1)),
        ("{range: {start: 1.2, stop: 1.8, step: 0.1}}", np.arange(1.2, 1.8, 0.1)),
        ("{linspace: [1, 2, 3]}", np.linspace(1, 2, 3)),
        ("{linspace: '0:10:1'}", np.linspace(0, 10, 1)),
        ("{geomspace: [1, 2, 3]}", np.geomspace(1, 2, 3)),
        ("{geomspace: '1:10:1'}", np.geomspace(1, 10, 1)),
        ("{logspace: [1, 2, 3]}", np.logspace(1, 2, 3)),
        ("{logspace: [1, 2, 3, 2]}", np.logspace(1, 2, 3, base=2)),
        ("{logspace: '0:10:1'}", np.logspace(0, 10, 1)),
        ("{logspace: '0:10:1:2'}", np.logspace(0, 10, 1, base=2)),
    ],
)
def test_range_like_options_enumerate_numpys_points(option: str, expected: np.ndarray) -> None:
    # Departure: points are rounded to 15 significant digits, whole points of all-int
    # arguments are ints.
    np.testing.assert_allclose(param(option).choices(), expected, rtol=1e-14)


@pytest.mark.parametrize(
    "option",
    [
        "{linspace: {start: 1.2, stop: 1.8, num: 0.1}}",
        "{geomspace: {start: 1.2, stop: 1.8, num: 0.1}}",
        "{logspace: {start: 1.2, stop: 1.8, num: 0.1, base: 2}}",
    ],
)
def test_a_fractional_num_is_refused(option: str) -> None:
    # Departure: Polyaxon stored num: 0.1 and failed later in numpy; it is refused up front.
    assert "num to be an integer" in str(refused(option))


@pytest.mark.parametrize(
    ("option", "low", "high"),
    [
        ("{uniform: [0, 1]}", 0, 1),
        ("{uniform: '0:1'}", 0, 1),
        ("{uniform: {low: 0, high: 1}}", 0, 1),
        ("{loguniform: '0:1'}", 1, np.e),
        ("{quniform: [0, 1, 0.1]}", 0, 1),
        ("{qloguniform: {low: 0, high: 1, q: 0.1}}", 1, 2.8),
    ],
)
def test_uniform_family_samples_within_bounds(option: str, low: float, high: float) -> None:
    p = param(option)
    assert p.is_distribution and not p.is_finite
    rng = np.random.default_rng(0)
    for _ in range(200):
        value = p.sample(rng)
        assert isinstance(value, float) and low - 0.05 <= value <= high + 0.05
    with pytest.raises(ValueError):
        p.choices()


@pytest.mark.parametrize(
    "option",
    [
        "{normal: [0, 1]}",
        "{qnormal: '0:1:0.5'}",
        "{lognormal: {loc: 0, scale: 1}}",
        "{qlognormal: [0, 1, 0.5]}",
    ],
)
def test_normal_family_samples(option: str) -> None:
    p = param(option)
    values = [p.sample(np.random.default_rng(i)) for i in range(50)]
    assert all(isinstance(v, float) for v in values)
    if "log" in option:
        assert all(v >= 0 for v in values)
    if "q" in option.split(":")[0]:
        assert all(abs(v / 0.5 - round(v / 0.5)) < 1e-9 for v in values)
