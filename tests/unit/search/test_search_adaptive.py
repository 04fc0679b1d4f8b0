"""Hyperband (`mode: pruner`) and bo on Optuna: ask/tell/report, pruning, waiting, restarts."""

from __future__ import annotations

import math

import pytest

from jupyter_mlpipe.search import CompletedTrial, Suggestion, make_search
from jupyter_mlpipe.search._optuna import Codec
from jupyter_mlpipe.spec import MatrixParam

HYPERBAND = """\
  seed: 0
  hyperband:
    max_iter: 9
    eta: 3
    resource: {name: epochs, type: int}
    metric: {name: loss, optimization: minimize}
    mode: pruner
"""
MATRIX = "    lr: {loguniform: -9:-2}\n    layers: {values: [1, 2, 3]}\n"


def loss(params, step):
    """A learning curve whose level depends on lr: bad configurations stay high."""
    return abs(math.log(params["lr"]) + 5) + 1.0 / step


def run_hyperband(search):
    """Run every trial to completion or pruning; return (suggestions, pruned numbers)."""
    seen, pruned = [], set()
    while (s := search.ask()) is not None:
        seen.append(s)
        value = None
        for step in range(1, s.params["epochs"] + 1):
            value = loss(s.params, step)
            if search.report(s.number, step, value):
                pruned.add(s.number)
                break
        search.tell(s.number, value, failed=s.number in pruned)
    return seen, pruned


def test_hyperband_plans_its_total_and_sets_the_resource(spec_of):
    search = make_search(spec_of(HYPERBAND, MATRIX))
    assert search.planned == 17 and search.algorithm == "hyperband"
    assert search.metric is not None and search.metric.optimization == "minimize"
    first = search.ask()
    assert first.params["epochs"] == 9 and isinstance(first.params["epochs"], int)
    assert math.exp(-9) <= first.params["lr"] <= math.exp(-2)
    assert first.params["layers"] in (1, 2, 3)


def test_hyperband_float_resource(spec_of):
    hp = HYPERBAND.replace("type: int", "type: float")
    assert make_search(spec_of(hp, MATRIX)).ask().params["epochs"] == 9.0


def test_hyperband_never_waits_and_prunes_bad_trials(spec_of):
    search = make_search(spec_of(HYPERBAND, MATRIX))
    many = [search.ask() for _ in range(17)]
    assert all(s is not None for s in many) and search.finished and search.ask() is None
    search = make_search(spec_of(HYPERBAND, MATRIX))
    seen, pruned = run_hyperband(search)
    assert len(seen) == 17 and 0 < len(pruned) < 17
    assert search.report(next(iter(pruned)), 9, 0.0) is True  # stays pruned


def test_hyperband_is_deterministic_per_seed(spec_of):
    one = run_hyperband(make_search(spec_of(HYPERBAND, MATRIX)))
    two = run_hyperband(make_search(spec_of(HYPERBAND, MATRIX)))
    assert [s.params for s in one[0]] == [s.params for s in two[0]] and one[1] == two[1]


def test_hyperband_restart_continues_numbers_and_never_resuggests(spec_of):
    spec = spec_of(HYPERBAND, MATRIX)
    first = make_search(spec)
    done = []
    for _ in range(5):
        s = first.ask()
        inter = {step: loss(s.params, step) for step in range(1, 10)}
        done.append(CompletedTrial(s.number, s.params, inter[9], intermediate=inter))
    running = first.ask()  # handed out, not finished when the driver died
    again = make_search(spec, done, pending=[Suggestion(running.number, running.params)])
    assert again.planned == 17
    # the pending trial is live again: reports reach the pruner, tell is accepted
    again.report(running.number, 1, loss(running.params, 1))
    again.tell(running.number, 1.0)
    numbers = [s.number for s in iter(again.ask, None)]
    assert numbers == list(range(6, 17))
    assert again.finished


def test_hyperband_report_ignores_unknown_numbers_and_bad_values(spec_of):
    search = make_search(spec_of(HYPERBAND, MATRIX))
    s = search.ask()
    assert search.report(123, 1, 0.5) is False
    assert search.report(s.number, 1, float("nan")) is False
    assert search.report(s.number, 1, 0.5) is False
    assert search.report(s.number, 1, 0.7) is False  # a repeated step is ignored quietly
    search.tell(123, 0.5)


BO = """\
  seed: 1
  bo:
    n_initial_trials: 4
    n_iterations: 8
    metric: {name: loss, optimization: minimize}
"""
BO_MATRIX = "    x: {uniform: -4:4}\n    units: {values: [[64, 32], [128, 64]]}\n"


def objective(params):
    return (params["x"] - 1.0) ** 2


def test_bo_waits_for_initial_results_then_suggests(spec_of):
    search = make_search(spec_of(BO, BO_MATRIX))
    assert search.planned == 12 and search.algorithm == "bo"
    initial = [search.ask() for _ in range(4)]
    assert all(s is not None for s in initial)
    assert search.ask() is None and not search.finished  # waiting for results
    for s in initial[:3]:
        search.tell(s.number, objective(s.params))
    assert search.ask() is None
    search.tell(initial[3].number, None, failed=True)  # a failure also counts as a result
    s = search.ask()
    assert s is not None and s.number == 4 and s.params["units"] in ([64, 32], [128, 64])


def run_bo(search):
    out = []
    while (s := search.ask()) is not None:
        out.append(s)
        search.tell(s.number, objective(s.params))
    return out


def test_bo_runs_to_its_total_deterministically_and_improves(spec_of):
    spec = spec_of(BO, BO_MATRIX)
    one, two = run_bo(make_search(spec)), run_bo(make_search(spec))
    assert [s.params for s in one] == [s.params for s in two]
    assert [s.number for s in one] == list(range(12))
    best_initial = min(objective(s.params) for s in one[:4])
    best_tpe = min(objective(s.params) for s in one[4:])
    assert best_tpe < best_initial


def test_bo_maximize_direction(spec_of):
    spec = spec_of(BO.replace("minimize", "maximize"), BO_MATRIX)
    assert make_search(spec).metric.optimization == "maximize"


def test_bo_restart_learns_from_history_and_skips_finished(spec_of):
    spec = spec_of(BO, BO_MATRIX)
    first = make_search(spec)
    history = []
    for _ in range(4):
        s = first.ask()
        history.append(CompletedTrial(s.number, s.params, objective(s.params)))
    again = make_search(spec, history)
    s = again.ask()  # the initial phase is complete: TPE suggests at once
    assert s is not None and s.number == 4
    assert len(run_bo(again)) == 7 and again.finished


@pytest.mark.parametrize(
    "option, args, value",
    [
        ("values", {"values": [[1, 2], "a"]}, "a"),
        ("pvalues", {"values": ["a", "b"], "p": [0.5, 0.5]}, "b"),
        ("linspace", {"start": 0.001, "stop": 0.1, "num": 5}, 0.0505),
        ("uniform", {"low": 0.5, "high": 0.6}, 0.55),
        ("loguniform", {"low": -9.0, "high": -2.0}, math.exp(-4.0)),
        ("normal", {"loc": 1.0, "scale": 2.0}, 2.5),
        ("lognormal", {"loc": 0.0, "scale": 1.0}, 1.7),
    ],
)
def test_codec_round_trips_values(option, args, value):
    codec = Codec(MatrixParam("x", option, args))
    assert codec.decode(codec.encode(value)) == pytest.approx(value)


def test_codec_refuses_values_outside_the_space():
    assert Codec(MatrixParam("x", "values", {"values": [1, 2]})).encode(3) is None
    assert Codec(MatrixParam("x", "loguniform", {"low": 0, "high": 1})).encode(-1.0) is None
    assert Codec(MatrixParam("x", "uniform", {"low": 0, "high": 1})).encode("a") is None
    assert Codec(MatrixParam("x", "uniform", {"low": 0, "high": 1})).encode(5.0) == 1.0


def test_bo_pending_initial_trials_come_back_live(spec_of):
    spec = spec_of(BO, BO_MATRIX)
    first = make_search(spec)
    handed = [first.ask() for _ in range(4)]
    history = [CompletedTrial(s.number, s.params, objective(s.params)) for s in handed[:2]]
    pending = [Suggestion(s.number, s.params) for s in handed[2:]]
    pending.append(Suggestion(9, {"x": "not a number", "units": [64, 32]}))  # cannot be mapped
    again = make_search(spec, history, pending=pending)
    assert again.ask() is None  # initial results still outstanding
    for s in handed[2:]:
        again.tell(s.number, objective(s.params))
    nxt = again.ask()
    assert nxt is not None and nxt.number == 10  # after every number handed out
    assert len(run_bo(again)) == 12 - 5 - 1  # 2 finished, 3 pending, 1 just asked
