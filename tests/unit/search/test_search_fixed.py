"""Grid and random search: order, first-N, distinctness, caps, seeds, restarts."""

from __future__ import annotations

import itertools

import pytest

from jupyter_mlpipe.search import CompletedTrial, Suggestion, early_stop_reached, make_search
from jupyter_mlpipe.spec import EarlyStopping, parse_spec


def drain(search):
    out = []
    while (s := search.ask()) is not None:
        out.append(s)
    return out


GRID = "    a: {values: [1, 2, 3]}\n    b: {linspace: 0:1:2}\n    c: {values: [x, y]}\n"


def test_grid_is_the_product_in_order(spec_of):
    search = make_search(spec_of("", GRID))
    got = [s.params for s in drain(search)]
    expected = [
        {"a": a, "b": b, "c": c} for a, b, c in itertools.product([1, 2, 3], [0.0, 1.0], "xy")
    ]
    assert got == expected
    assert [s.number for s in drain(make_search(spec_of("", GRID)))] == list(range(12))
    assert search.finished and search.planned == 12 and search.algorithm == "grid"


def test_grid_first_n_in_product_order(spec_of):
    search = make_search(spec_of("  grid_search: {n_experiments: 5}\n", GRID))
    got = [s.params for s in drain(search)]
    assert got[0] == {"a": 1, "b": 0.0, "c": "x"} and got[1] == {"a": 1, "b": 0.0, "c": "y"}
    assert len(got) == 5 and got[4] == {"a": 2, "b": 0.0, "c": "x"}


def test_experiment_kind_is_one_trial_with_no_matrix_values():
    spec = parse_spec("version: 1\nkind: experiment\ndeclarations: {lr: 0.1}\nrun:\n  cmd: x\n")
    search = make_search(spec)
    (only,) = drain(search)
    assert only.number == 0 and dict(only.params) == {}
    assert spec.params_for(only.params) == {"lr": 0.1}
    assert search.finished


def test_fixed_searches_never_prune_and_ignore_results(spec_of):
    search = make_search(spec_of("", GRID))
    s = search.ask()
    assert search.report(s.number, 1, 0.5) is False
    search.tell(s.number, 0.5)
    search.tell(999, None, failed=True)  # unknown numbers are ignored
    assert search.metric is None


def test_restart_skips_finished_and_pending_but_resuggests_lost_numbers(spec_of):
    spec = spec_of("", GRID)
    full = [s.params for s in drain(make_search(spec))]
    history = [CompletedTrial(0, full[0], None), CompletedTrial(2, full[2], None, failed=True)]
    search = make_search(spec, history, pending=[Suggestion(3, full[3])])
    got = drain(search)
    assert [s.number for s in got] == [1, *range(4, 12)]
    assert all(s.params == full[s.number] for s in got)
    assert not search.finished or search.ask() is None


def test_finished_before_and_after(spec_of):
    search = make_search(spec_of("  grid_search: {n_experiments: 2}\n", GRID))
    assert not search.finished
    search.ask()
    search.ask()
    assert search.finished and search.ask() is None


RANDOM = "    lr: {linspace: 0.001:0.1:5}\n    momentum: {uniform: 0.5:0.6}\n"


@pytest.mark.parametrize("seed", [0, 7])
def test_random_is_deterministic_per_seed_including_zero(spec_of, seed):
    hp = f"  seed: {seed}\n  random_search: {{n_experiments: 10}}\n"
    first = [s.params for s in drain(make_search(spec_of(hp, RANDOM)))]
    second = [s.params for s in drain(make_search(spec_of(hp, RANDOM)))]
    other = f"  seed: {seed + 1}\n  random_search: {{n_experiments: 10}}\n"
    assert first == second
    assert first != [s.params for s in drain(make_search(spec_of(other, RANDOM)))]
    assert len(first) == 10
    assert all(p["lr"] in (0.001, 0.02575, 0.0505, 0.07525, 0.1) for p in first)
    assert all(0.5 <= p["momentum"] < 0.6 for p in first)


def test_random_without_seed_uses_the_override_seed(spec_of):
    spec = spec_of("  random_search: {n_experiments: 5}\n", RANDOM)
    one = [s.params for s in drain(make_search(spec, seed=3))]
    two = [s.params for s in drain(make_search(spec, seed=3))]
    assert one == two


def test_random_draws_distinct_combinations_and_covers_a_capped_space(spec_of):
    spec = spec_of(
        "  seed: 1\n  random_search: {n_experiments: 50}\n",
        "    a: {values: [1, 2, 3]}\n    b: {range: 0:4}\n",
    )
    assert spec.hptuning.n_experiments == 12 and len(spec.warnings) == 1
    got = [tuple(s.params.values()) for s in drain(make_search(spec))]
    assert sorted(got) == sorted(itertools.product([1, 2, 3], range(4)))


def test_random_duplicates_dropped_in_a_large_discrete_space(spec_of):
    spec = spec_of(
        "  seed: 2\n  random_search: {n_experiments: 40}\n",
        "    a: {range: 0:10}\n    b: {range: 0:10}\n",
    )
    got = [tuple(s.params.values()) for s in drain(make_search(spec))]
    assert len(got) == 40 and len(set(got)) == 40


def test_random_pvalues_weights_apply_without_replacement(spec_of):
    spec = spec_of(
        "  seed: 3\n  random_search: {n_experiments: 2}\n",
        "    opt: {pvalues: [[adam, 0.98], [sgd, 0.01], [rms, 0.01]]}\n",
    )
    firsts = []
    for seed in range(40):
        s = make_search(spec, seed=seed)
        firsts.append(s.ask().params["opt"])
    assert firsts.count("adam") > 30  # the heavy value nearly always comes first


def test_random_shortfall_in_quantised_space_is_a_visible_warning(spec_of):
    spec = spec_of("  seed: 0\n  random_search: {n_experiments: 5}\n", "    q: {quniform: 0:1:1}\n")
    search = make_search(spec)
    got = sorted(s.params["q"] for s in drain(search))
    assert got == [0, 1]
    assert search.planned == 2
    assert search.warnings == (
        "random_search found only 2 distinct combinations of the 5 requested; running 2",
    )


def test_early_stop_reached():
    up = EarlyStopping("accuracy", 0.9, "maximize")
    down = EarlyStopping("loss", 0.1, "minimize")
    assert early_stop_reached([up, down], {"accuracy": 0.5, "loss": 0.2}) is None
    assert early_stop_reached([up, down], {"accuracy": 0.9}) is up
    assert early_stop_reached([up, down], {"accuracy": 0.5, "loss": 0.1}) is down
    assert early_stop_reached([up], {"accuracy": float("nan")}) is None
    assert early_stop_reached([up], {"loss": 0.95}) is None
    assert early_stop_reached([], {"accuracy": 1.0}) is None


def test_completed_trial_round_trips():
    t = CompletedTrial(3, {"a": 1}, 0.5, False, {1: 0.2, 2: 0.4}, pruned=True)
    assert CompletedTrial.from_dict(t.to_dict()) == t
    assert not t.ok and CompletedTrial(1, {}, 0.3).ok
    assert not CompletedTrial(1, {}, float("nan")).ok
