"""Every matrix option in its string, list and dict forms, and the documented semantics."""

from __future__ import annotations

import math

import numpy as np
import pytest

from jupyter_mlpipe.spec import MatrixParam

FORMS = {
    # option: (string form, list form, dict form, expected args)
    "range": (
        "0:10:3",
        "[0, 10, 3]",
        "{start: 0, stop: 10, step: 3}",
        {"start": 0, "stop": 10, "step": 3},
    ),
    "linspace": (
        "0.001:0.1:5",
        "[0.001, 0.1, 5]",
        "{start: 0.001, stop: 0.1, num: 5}",
        {"start": 0.001, "stop": 0.1, "num": 5},
    ),
    "logspace": (
        "0:3:4",
        "[0, 3, 4]",
        "{start: 0, stop: 3, num: 4}",
        {"start": 0, "stop": 3, "num": 4, "base": 10},
    ),
    "geomspace": (
        "1:1000:4",
        "[1, 1000, 4]",
        "{start: 1, stop: 1000, num: 4}",
        {"start": 1, "stop": 1000, "num": 4},
    ),
    "uniform": ("0.5:0.6", "[0.5, 0.6]", "{low: 0.5, high: 0.6}", {"low": 0.5, "high": 0.6}),
    "quniform": (
        "0:10:0.5",
        "[0, 10, 0.5]",
        "{low: 0, high: 10, q: 0.5}",
        {"low": 0, "high": 10, "q": 0.5},
    ),
    "loguniform": (
        "-9.2:-2.3",
        "[-9.2, -2.3]",
        "{low: -9.2, high: -2.3}",
        {"low": -9.2, "high": -2.3},
    ),
    "qloguniform": ("0:5:2", "[0, 5, 2]", "{low: 0, high: 5, q: 2}", {"low": 0, "high": 5, "q": 2}),
    "normal": ("0:1", "[0, 1]", "{loc: 0, scale: 1}", {"loc": 0, "scale": 1}),
    "qnormal": (
        "10:2:1",
        "[10, 2, 1]",
        "{loc: 10, scale: 2, q: 1}",
        {"loc": 10, "scale": 2, "q": 1},
    ),
    "lognormal": ("0:0.5", "[0, 0.5]", "{loc: 0, scale: 0.5}", {"loc": 0, "scale": 0.5}),
    "qlognormal": (
        "3:0.5:5",
        "[3, 0.5, 5]",
        "{loc: 3, scale: 0.5, q: 5}",
        {"loc": 3, "scale": 0.5, "q": 5},
    ),
}


@pytest.mark.parametrize("option", sorted(FORMS))
@pytest.mark.parametrize("form", [0, 1, 2], ids=["string", "list", "dict"])
def test_every_option_reads_in_every_form(group, option, form):
    written, expected = FORMS[option][form], FORMS[option][3]
    spec = group(
        f"    x:\n      {option}: {written}\n", hptuning="  random_search: {n_experiments: 3}\n"
    )
    param = spec.matrix["x"]
    assert param.option == option
    assert dict(param.args) == expected
    assert param.to_dict() == {option: expected}


@pytest.mark.parametrize("written", ["[1, 2, a, [3, 4]]", "1:2:a"])
def test_values_list_and_string(group, written):
    spec = group(f"    x:\n      values: {written}\n")
    assert spec.matrix["x"].choices()[:3] == [1, 2, "a"]


@pytest.mark.parametrize(
    "written, values, p",
    [
        ("[[adam, 0.7], [sgd, 0.3]]", ["adam", "sgd"], [0.7, 0.3]),
        ("{adam: 0.7, sgd: 0.3}", ["adam", "sgd"], [0.7, 0.3]),
        ("{0.1: 0.5, 0.2: 0.5}", [0.1, 0.2], [0.5, 0.5]),
    ],
)
def test_pvalues_pairs_and_mapping(group, written, values, p):
    spec = group(
        f"    opt:\n      pvalues: {written}\n", hptuning="  random_search: {n_experiments: 2}\n"
    )
    param = spec.matrix["opt"]
    assert param.choices() == values
    assert param.args["p"] == pytest.approx(p)
    assert param.is_distribution and param.is_finite


def test_linspace_includes_end_and_drops_binary_noise(group):
    spec = group("    lr:\n      linspace: 0.001:0.1:5\n")
    assert spec.matrix["lr"].choices() == [0.001, 0.02575, 0.0505, 0.07525, 0.1]


def test_range_excludes_stop_and_keeps_ints(group):
    spec = group("    a:\n      range: 0:10:3\n    b:\n      range: 0:1:0.25\n")
    assert spec.matrix["a"].choices() == [0, 3, 6, 9]
    assert spec.matrix["b"].choices() == [0.0, 0.25, 0.5, 0.75]


def test_range_step_defaults_to_one_and_sexagesimal_text_is_read_as_written(group):
    # YAML 1.1 reads a plain 1:30 as the base-60 integer 90; the matrix reads the text.
    spec = group("    epochs:\n      range: 1:4\n")
    assert spec.matrix["epochs"].choices() == [1, 2, 3]


def test_logspace_bounds_are_exponents_with_optional_base(group):
    spec = group("    a:\n      logspace: 0:3:4\n    b:\n      logspace: 1:3:3:2\n")
    assert spec.matrix["a"].choices() == [1, 10, 100, 1000]
    assert spec.matrix["b"].choices() == [2, 4, 8]


def test_geomspace_uses_real_end_points(group):
    spec = group("    a:\n      geomspace: 1:1000:4\n    b:\n      geomspace: 0.01:1:3\n")
    assert spec.matrix["a"].choices() == [1, 10, 100, 1000]
    assert spec.matrix["b"].choices() == [0.01, 0.1, 1.0]


def test_scientific_notation_in_list_form(group):
    # PyYAML reads 1e-3 (no dot) as text; it is still a number here.
    spec = group("    lr:\n      linspace: [1e-3, 1e-1, 3]\n")
    assert spec.matrix["lr"].choices() == [0.001, 0.0505, 0.1]


def test_repeated_values_are_used_once_with_a_warning(group):
    spec = group("    a:\n      values: [1, 2, 1]\n")
    assert spec.matrix["a"].choices() == [1, 2]
    assert any("repeated" in w for w in spec.warnings)


def rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


def param(option: str, **args) -> MatrixParam:
    return MatrixParam("x", option, args)


def test_uniform_stays_in_bounds():
    p = param("uniform", low=0.5, high=0.6)
    draws = [p.sample(rng(1)) for _ in range(1)] + [p.sample(g) for g in [rng(2)] * 200]
    assert all(0.5 <= d < 0.6 for d in draws)


def test_q_variants_round_to_nearest_multiple():
    p = param("quniform", low=0, high=10, q=4)
    assert p.from_raw(5.9) == 4  # round, not floor: 5.9 / 4 = 1.475 -> 1
    assert p.from_raw(6.1) == 8  # floor would give 4
    assert isinstance(p.from_raw(6.1), int)
    assert param("qnormal", loc=0, scale=1, q=0.5).from_raw(0.8) == 1.0
    assert param("quniform", low=0, high=1, q=0.1).from_raw(0.3000001) == 0.3


def test_loguniform_bounds_are_natural_log_exponents():
    p = param("loguniform", low=-9.2, high=-2.3)
    assert p.from_raw(-2.3) == pytest.approx(math.exp(-2.3))
    draws = [p.sample(g) for g in [rng(3)] * 200]
    assert all(math.exp(-9.2) <= d <= math.exp(-2.3) for d in draws)


def test_loguniform_warns_when_bounds_look_like_values(group):
    spec = group(
        "    lr:\n      loguniform: 0.0001:0.1\n", hptuning="  random_search: {n_experiments: 2}\n"
    )
    assert any("natural-log exponents" in w and "-9.21:-2.303" in w for w in spec.warnings)


def test_qlognormal_honours_q():
    p = param("qlognormal", loc=3, scale=0.5, q=5)
    draws = [p.sample(g) for g in [rng(4)] * 100]
    assert all(d % 5 == 0 and isinstance(d, int) for d in draws)
    assert len(set(draws)) > 3


def test_lognormal_is_exp_of_normal():
    p = param("lognormal", loc=0, scale=0.5)
    assert p.from_raw(1.0) == pytest.approx(math.e)


def test_pvalues_follow_probabilities():
    p = MatrixParam("x", "pvalues", {"values": ["a", "b"], "p": [0.9, 0.1]})
    g = rng(5)
    draws = [p.sample(g) for _ in range(2000)]
    assert 0.85 < draws.count("a") / 2000 < 0.95


@pytest.mark.parametrize("seed", [0, 1, 12345])
def test_sampling_is_deterministic_per_seed_including_zero(seed):
    p = param("normal", loc=0, scale=1)
    first = [p.sample(g) for g in [rng(seed)] * 5]
    second = [p.sample(g) for g in [rng(seed)] * 5]
    assert first == second
    assert first != [p.sample(g) for g in [rng(seed + 1)] * 5]
