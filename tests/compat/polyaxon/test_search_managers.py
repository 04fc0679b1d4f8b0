"""polyaxon 0.4's ``test_search_managers.py`` cases: grid, random and hyperband schedules."""

from __future__ import annotations

import math

import pytest

from jupyter_mlpipe.search import make_search
from jupyter_mlpipe.spec import parse_spec

SPEC = "version: 1\nkind: group\nhptuning:\n%s  matrix:\n%srun:\n  cmd: python t.py\n"
MATRIX = (
    "    feature1: {values: [1, 2, 3]}\n    feature2: {linspace: [1, 2, 5]}\n"
    "    feature3: {range: [1, 5, 1]}\n"
)


def spec_of(hptuning: str, matrix: str = MATRIX):
    return parse_spec(SPEC % (hptuning, matrix))


def all_params(search) -> list[dict]:
    out = []
    while (s := search.ask()) is not None:
        out.append(dict(s.params))
        search.tell(s.number, None)
    return out


def test_grid_search_manager() -> None:
    # 3 * 5 * 4 combinations, all distinct, in product order
    params = all_params(make_search(spec_of("  grid_search: {}\n")))
    assert len(params) == 60
    assert len({tuple(p.items()) for p in params}) == 60
    assert params[0] == {"feature1": 1, "feature2": 1, "feature3": 1}
    # n_experiments keeps the first combinations
    assert len(all_params(make_search(spec_of("  grid_search: {n_experiments: 10}\n")))) == 10


def test_random_search_manager() -> None:
    spec = spec_of("  random_search: {n_experiments: 10}\n")
    params = all_params(make_search(spec, seed=0))
    assert len(params) == 10 and len({tuple(p.items()) for p in params}) == 10
    # asking for more than the space holds gives the whole space once (with a warning)
    spec = spec_of("  random_search: {n_experiments: 100}\n")
    assert len(all_params(make_search(spec, seed=0))) == 60
    assert any("only 60 distinct" in w for w in spec.warnings)
    # distributions are sampled
    spec = spec_of(
        "  random_search: {n_experiments: 30}\n",
        "    feature1: {values: [1, 2, 3]}\n    feature2: {uniform: [0, 1]}\n",
    )
    params = all_params(make_search(spec, seed=0))
    assert len(params) == 30 and all(0 <= p["feature2"] <= 1 for p in params)


HYPERBAND = (
    "  hyperband:\n    max_iter: {max_iter}\n    eta: {eta}\n"
    "    resource: {{name: steps, type: {rtype}}}\n    resume: false\n"
    "    metric: {{name: loss, optimization: minimize}}\n"
)


def band_of(max_iter: int, eta: float, rtype: str = "int"):
    spec = spec_of(HYPERBAND.format(max_iter=max_iter, eta=eta, rtype=rtype))
    assert spec.hptuning.hyperband is not None
    return spec.hptuning.hyperband


@pytest.mark.parametrize(
    ("max_iter", "eta", "s_max", "configs", "resources"),
    [
        (10, 3, 2, [9, 5, 3], [10 / 9, 10 / 3, 10]),
        (81, 3, 4, [81, 34, 15, 8, 5], [1, 3, 9, 27, 81]),
    ],
)
def test_hyperband_brackets(max_iter, eta, s_max, configs, resources) -> None:
    band = band_of(max_iter, eta, "float")
    assert band.s_max == s_max
    assert band.brackets == s_max + 1
    brackets = list(range(s_max, -1, -1))  # iteration 0 runs bracket s_max
    assert [band.n_configs(s) for s in brackets] == configs
    assert [band.rungs(s)[0][1] for s in brackets] == pytest.approx(resources)


def test_hyperband_rungs_keep_one_eta_th_with_eta_times_the_resource() -> None:
    band = band_of(81, 3)
    assert band.rungs(4) == [(81, 1), (27, 3), (9, 9), (3, 27), (1, 81)]
    assert band.rungs(3) == [(34, 3), (11, 9), (3, 27), (1, 81)]
    assert band.rungs(2) == [(15, 9), (5, 27), (1, 81)]
    assert band.rungs(1) == [(8, 27), (2, 81)]
    assert band.rungs(0) == [(5, 81)]
    assert band.total == 206


def test_hyperband_runs_the_schedule_and_promotes_on_the_final_metric() -> None:
    spec = spec_of(
        "  seed: 2\n  concurrency: 3\n" + HYPERBAND.format(max_iter=81, eta=3, rtype="int"),
        "    lr: {uniform: [0, 1]}\n",
    )
    search = make_search(spec)
    assert search.planned == 206
    seen = []
    while not search.finished:
        batch = list(iter(search.ask, None))
        assert batch
        for s in batch:
            search.tell(s.number, s.params["lr"] / math.sqrt(s.params["steps"]))
        seen.extend(batch)
    assert len(seen) == 206
    # every configuration that reached 81 steps was the best of each rung below it
    finals = [s for s in seen if s.params["steps"] == 81]
    assert len(finals) == 10
    first_rung = sorted(s.params["lr"] for s in seen if s.number < 81)
    top = [s for s in finals if s.number < 121]  # bracket s_max's last rung
    assert [s.params["lr"] for s in top] == [first_rung[0]]


def test_pruner_mode_keeps_optunas_schedule() -> None:
    spec = spec_of(
        HYPERBAND.format(max_iter=81, eta=3, rtype="int") + "    mode: pruner\n",
        "    lr: {uniform: [0, 1]}\n",
    )
    search = make_search(spec, seed=0)
    assert search.planned == 143
    assert search.ask().params["steps"] == 81


def per_iteration(band, iteration: int) -> tuple[list[int], list[float]]:
    """Polyaxon's get_n_config_to_keep_for_iteration and get_n_resources_for_iteration for
    each bracket iteration, read off our rungs (nothing is kept after the last rung)."""
    rungs = band.rungs(band.s_max - iteration)
    return [size for size, _ in rungs[1:]] + [0], [resource for _, resource in rungs]


@pytest.mark.parametrize(
    ("max_iter", "keep", "resources"),
    [
        (
            10,
            {0: [3, 1, 0], 1: [1, 0], 2: [0]},
            {0: [1.11, 3.33, 9.99], 1: [3.33, 9.99], 2: [9.99]},
        ),
        (
            81,
            {0: [27, 9, 3, 1, 0], 1: [11, 3, 1, 0], 2: [5, 1, 0], 3: [2, 0], 4: [0]},
            {0: [1, 3, 9, 27, 81], 1: [3, 9, 27, 81], 2: [9, 27, 81], 3: [27, 81], 4: [81]},
        ),
    ],
)
def test_configs_kept_and_resources_per_iteration(max_iter: int, keep: dict, resources: dict):
    band = band_of(max_iter, 3, "float")
    for iteration in keep:
        kept, given = per_iteration(band, iteration)
        assert kept == keep[iteration]
        # Polyaxon's own test compares to two decimals (1.11 for 10/9)
        assert given == pytest.approx(resources[iteration], abs=0.011)
