"""Hyperband's bracket schedule (Polyaxon's): rungs, resources, promotion, restarts."""

from __future__ import annotations

from collections import Counter

from jupyter_mlpipe.search import CompletedTrial, Suggestion, make_search

HYPERBAND = """\
  seed: 3
  concurrency: 4
  hyperband:
    max_iter: %s
    eta: %s
    resource: {name: epochs, type: %s}
    metric: {name: loss, optimization: %s}
"""
MATRIX = "    lr: {uniform: 0:1}\n    layers: {values: [1, 2, 3]}\n"


def loss(params):
    return params["lr"] / params["epochs"]


def drain(search, value=loss, fail=()):
    """Ask everything available, then tell every result; repeat until finished."""
    seen = []
    while not search.finished:
        batch = []
        while (s := search.ask()) is not None:
            batch.append(s)
        assert batch, "the search waits on nothing"
        for s in batch:
            search.tell(s.number, value(s.params), failed=s.number in fail)
        seen.extend(batch)
    return seen


def test_81_and_3_run_206_experiments_with_the_rung_resources(spec_of):
    search = make_search(spec_of(HYPERBAND % (81, 3, "int", "minimize"), MATRIX))
    assert search.planned == 206
    seen = drain(search)
    assert len(seen) == 206
    assert sorted(s.number for s in seen) == list(range(206))
    assert Counter(s.params["epochs"] for s in seen) == {1: 81, 3: 61, 9: 35, 27: 19, 81: 10}
    assert all(isinstance(s.params["epochs"], int) for s in seen)


def test_a_rung_waits_for_every_result_of_the_previous_one(spec_of):
    search = make_search(spec_of(HYPERBAND % (9, 3, "int", "minimize"), MATRIX))
    first = []
    while (s := search.ask()) is not None:
        first.append(s)
    # every bracket's first rung: 9 + 5 + 3 configurations, nothing promoted yet
    assert [s.params["epochs"] for s in first] == [1] * 9 + [3] * 5 + [9] * 3
    for s in first[:8]:
        search.tell(s.number, loss(s.params))
    assert search.ask() is None  # bracket 2's rung 0 still has one running
    search.tell(first[8].number, loss(first[8].params))
    promoted = [search.ask() for _ in range(3)]
    assert [p.params["epochs"] for p in promoted] == [3, 3, 3]
    best = sorted(first[:9], key=lambda s: (loss(s.params), s.number))[:3]
    assert [p.params["lr"] for p in promoted] == [b.params["lr"] for b in best]


def test_maximize_promotes_the_highest_and_failures_never_rise(spec_of):
    search = make_search(spec_of(HYPERBAND % (9, 3, "int", "maximize"), MATRIX))
    rung0 = [search.ask() for _ in range(9)]
    failed = {rung0[0].number, rung0[1].number}
    for s in rung0:
        search.tell(s.number, 10.0 if s.number in failed else s.params["lr"], s.number in failed)
    nxt = [s for s in iter(search.ask, None) if s.params["epochs"] == 3 and s.number < 13]
    best = sorted((s for s in rung0 if s.number not in failed), key=lambda s: -s.params["lr"])
    assert [s.params["lr"] for s in nxt] == [s.params["lr"] for s in best[:3]]


def test_float_resource_and_a_float_eta(spec_of):
    search = make_search(spec_of(HYPERBAND % (10, 2.9, "float", "minimize"), MATRIX))
    seen = drain(search)
    resources = sorted({s.params["epochs"] for s in seen})
    assert resources[-1] == 10.0 and all(isinstance(r, float) for r in resources)
    assert len(seen) == search.planned


def test_failed_rungs_shrink_the_schedule_and_it_still_finishes(spec_of):
    search = make_search(spec_of(HYPERBAND % (9, 3, "int", "minimize"), MATRIX))
    seen = drain(search, value=lambda p: None)  # no run reports the metric
    assert len(seen) == 9 + 5 + 3 and search.finished


def test_same_seed_same_schedule_and_a_restart_rebuilds_it(spec_of):
    spec = spec_of(HYPERBAND % (9, 3, "int", "minimize"), MATRIX)
    full = drain(make_search(spec))
    assert [s.to_dict() for s in full] == [s.to_dict() for s in drain(make_search(spec))]
    first = make_search(spec)
    done, handed = [], []
    while len(done) < 12:
        s = first.ask()
        if s is None:
            break
        handed.append(s)
    for s in handed[:-1]:
        first.tell(s.number, loss(s.params))
        done.append(CompletedTrial(s.number, s.params, loss(s.params)))
    running = handed[-1]
    again = make_search(spec, done, pending=[Suggestion(running.number, running.params)])
    assert again.planned == 22
    again.tell(running.number, loss(running.params))
    rest = drain(again)
    by_number = {s.number: s.to_dict() for s in full}
    assert all(by_number[s.number] == s.to_dict() for s in rest)
    assert {s.number for s in rest} | {t.number for t in done} | {running.number} == set(range(22))


def test_dry_run_plans_only_the_first_rungs(spec_of):
    search = make_search(spec_of(HYPERBAND % (81, 3, "int", "minimize"), MATRIX))
    plan = []
    while (s := search.ask()) is not None:
        plan.append(s)
        search.tell(s.number, None)
    assert len(plan) == 81 + 34 + 15 + 8 + 5 and search.finished
