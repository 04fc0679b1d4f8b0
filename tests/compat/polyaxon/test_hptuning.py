"""polyaxon-schemas 0.4/0.5 ``test_hptuning.py`` cases: the hptuning section as Polyaxon read it."""

from __future__ import annotations

import pytest

from jupyter_mlpipe.errors import SpecError
from jupyter_mlpipe.spec import parse_spec

SPEC = "version: 1\nkind: group\nhptuning:\n%s  matrix:\n    lr: %s\nrun:\n  cmd: python t.py\n"
HYPERBAND = (
    "  hyperband:\n    max_iter: {max_iter}\n    eta: {eta}\n    resource: {resource}\n"
    "    resume: false\n    metric: {{name: loss, optimization: {opt}}}\n"
)


def spec_of(hptuning: str, matrix: str = "{uniform: 0:1}"):
    return parse_spec(SPEC % (hptuning, matrix), file="h.yml")


def refused(hptuning: str, matrix: str = "{uniform: 0:1}") -> SpecError:
    with pytest.raises(SpecError) as info:
        spec_of(hptuning, matrix)
    assert info.value.location.startswith("h.yml:")
    return info.value


@pytest.mark.parametrize("n", ["0", "-1", "0.5"])
def test_random_search_needs_a_positive_whole_count(n: str) -> None:
    refused(f"  random_search: {{n_experiments: {n}}}\n")


def test_random_search_config() -> None:
    spec = spec_of("  random_search: {n_experiments: 5}\n")
    assert spec.algorithm == "random" and spec.hptuning.n_experiments == 5


def test_hyperband_config() -> None:
    text = HYPERBAND.format(max_iter=10, eta=3, resource="{name: steps, type: int}", opt="minimize")
    band = spec_of(text).hptuning.hyperband
    assert band is not None
    assert band.to_dict() == {
        "max_iter": 10,
        "eta": 3,
        "resource": {"name": "steps", "type": "int"},
        "resume": False,
        "metric": {"name": "loss", "optimization": "minimize"},
        "mode": "brackets",
    }


@pytest.mark.parametrize("max_iter", ["0", "-0.5"])
def test_hyperband_max_iter_must_be_positive(max_iter: str) -> None:
    refused(HYPERBAND.format(max_iter=max_iter, eta=3, resource="{name: s}", opt="minimize"))


def test_hyperband_eta_negative_is_refused_and_a_float_accepted() -> None:
    refused(HYPERBAND.format(max_iter=3, eta=-0.5, resource="{name: s}", opt="minimize"))
    text = HYPERBAND.format(max_iter=3, eta=2.9, resource="{name: s}", opt="minimize")
    band = spec_of(text).hptuning.hyperband
    assert band is not None and band.eta == 2.9


@pytest.mark.parametrize(
    ("written", "optimization"),
    [
        ("MAXIMIZE", "maximize"),
        ("Maximize", "maximize"),
        ("MINIMIZE", "minimize"),
        ("Minimize", "minimize"),
    ],
)
def test_enum_values_in_any_case(written: str, optimization: str) -> None:
    text = HYPERBAND.format(max_iter=9, eta=3, resource="{name: s, type: INT}", opt=written)
    band = spec_of(text).hptuning.hyperband
    assert band is not None and band.metric.optimization == optimization
    assert band.resource.type == "int"


def test_resource_type_defaults_to_float() -> None:
    band = spec_of(
        HYPERBAND.format(max_iter=9, eta=3, resource="{name: s}", opt="minimize")
    ).hptuning.hyperband
    assert band is not None and band.resource.type == "float"
    assert band.resource.cast(3) == 3.0 and isinstance(band.resource.cast(3), float)


def test_bo_config() -> None:
    spec = spec_of(
        "  bo:\n    n_initial_trials: 2\n    n_iterations: 10\n    metric: {name: loss, "
        "optimization: minimize}\n    utility_function:\n      acquisition_function: ucb\n"
        "      kappa: 1.2\n      gaussian_process: {kernel: matern, length_scale: 1.0, nu: 1.9,"
        " n_restarts_optimizer: 2}\n"
    )
    assert spec.algorithm == "bo" and spec.hptuning.n_experiments == 12
    assert spec.hptuning.bo is not None and spec.hptuning.bo.utility_function["kappa"] == 1.2


def test_only_one_algorithm() -> None:
    hyperband = HYPERBAND.format(max_iter=10, eta=3, resource="{name: s}", opt="minimize")
    refused("  grid_search: {n_experiments: 10}\n" + hyperband)
    refused(
        "  random_search: {n_experiments: 10}\n  bo: {n_initial_trials: 2, n_iterations: 2,"
        " metric: {name: loss}}\n"
    )


def test_grid_search_refuses_distributions() -> None:
    assert "grid search cannot enumerate" in str(
        refused("  grid_search: {n_experiments: 10}\n", "{pvalues: [[0.1, 0.1], [0.2, 0.9]]}")
    )
    refused("  grid_search: {n_experiments: 10}\n", "{normal: [0.1, 0.2]}")


@pytest.mark.parametrize("policy", ["all", "ALL", "group", "experiment", "Experiment"])
def test_early_stopping_with_a_v04_policy(policy: str) -> None:
    spec = spec_of(
        "  random_search: {n_experiments: 2}\n  early_stopping:\n"
        f"    - {{metric: loss, value: 0.1, optimization: MINIMIZE, policy: {policy}}}\n"
    )
    (stop,) = spec.hptuning.early_stopping
    assert stop.policy == policy.lower() and stop.optimization == "minimize"
    assert stop.to_dict()["policy"] == policy.lower()


def test_early_stopping_with_a_v05_median_policy_names_the_alternative() -> None:
    error = refused(
        "  random_search: {n_experiments: 2}\n  early_stopping:\n"
        "    - {metric: loss, value: 0.1, policy: {kind: median, evaluation_interval: 1}}\n"
    )
    assert "mode: pruner" in error.fix
