"""The ``hptuning`` section: algorithm, seed, concurrency, early stopping.

Rules (Polyaxon v0.x semantics, with the rough edges made explicit):

- ``seed``: a non-negative integer; ``0`` is a seed like any other. Without a seed, sampling
  differs between runs.
- ``concurrency``: how many experiments run at once, an integer from 1 to 10,000 (default 1).
- At most one of ``grid_search``, ``random_search``, ``hyperband``, ``bo``; grid search is the
  default.
- ``grid_search: {n_experiments: N}`` keeps the first N combinations in product order (the last
  matrix param varies fastest). Grid search refuses distributions.
- ``random_search: {n_experiments: N}`` (required) draws N distinct combinations. When every
  param is finite and the space holds fewer than N combinations, N is capped to the space size
  and a warning says so.
- ``hyperband: {max_iter, eta, resource: {name, type: int|float}, metric: {name, optimization},
  resume, mode}``: ``eta`` may be a float (> 1); ``resource.type`` defaults to ``float``.
  ``mode: brackets`` (the default) is Polyaxon's schedule: brackets of rungs, each experiment
  gets its rung's resource as a param, the best by final metric are re-run with more
  (:mod:`jupyter_mlpipe.search.hyperband`). ``mode: pruner`` gives every experiment
  ``max_iter`` and lets Optuna's Hyperband pruner stop laggards from the metric reported at
  steps ``1 .. max_iter``.
- ``bo: {n_iterations, n_initial_trials, metric, utility_function}``: ``n_initial_trials``
  random experiments, then ``n_iterations`` suggested by Optuna's TPE sampler. The Gaussian
  process ``utility_function`` of Polyaxon is kept in the record but not used (a warning says so).
- ``early_stopping: [{metric, value, optimization, policy}]``: once one experiment reports
  ``metric`` at or beyond ``value`` (``>=`` for maximize, ``<=`` for minimize), no new
  experiment starts; running ones finish. A ``policy`` (``all``, ``group``, ``experiment``) is
  recorded and, as in Polyaxon 0.4, does not change that.
- Enum values (``optimization``, ``resource.type``, ``policy``, ``mode``) may be written in any
  case (``MAXIMIZE``, ``Int``), as Polyaxon accepted them.
"""

from __future__ import annotations

from typing import Any

from .document import Context, Node, show
from .scalars import any_case, boolean, integer, number, text
from .tuning import BO, EarlyStopping, HPTuning, Hyperband, Metric, Resource

ALGORITHMS = {
    "grid_search": "grid",
    "random_search": "random",
    "hyperband": "hyperband",
    "bo": "bo",
}
OPTIMIZATIONS = ("maximize", "minimize")
#: Most experiments one group may plan.
MAX_EXPERIMENTS = 100_000
#: Most experiments one group may run at once.
MAX_CONCURRENCY = 10_000
HYPERBAND_MODES = ("brackets", "pruner")
EARLY_STOPPING_POLICIES = ("all", "group", "experiment")


HPTUNING_KEYS = ("seed", "concurrency", "matrix", "early_stopping", *ALGORITHMS)


def parse_hptuning(node: Node, ctx: Context) -> HPTuning:
    """Read ``hptuning`` except its matrix (see :mod:`jupyter_mlpipe.spec.options`).

    Raises:
        SpecError: for any rule in the module docstring.
    """
    ctx.mapping(node, "'hptuning'")
    ctx.check_keys(node, HPTUNING_KEYS, "'hptuning'")
    sections = node.value
    seed = None
    if "seed" in sections and sections["seed"].value is not None:
        seed = integer(sections["seed"], "'hptuning.seed'", ctx, minimum=0, maximum=2**63 - 1)
    concurrency = 1
    if "concurrency" in sections:
        concurrency = integer(
            sections["concurrency"],
            "'hptuning.concurrency'",
            ctx,
            minimum=1,
            maximum=MAX_CONCURRENCY,
        )
    chosen = [k for k in sections if k in ALGORITHMS]
    if len(chosen) > 1:
        raise ctx.error(
            node.key_position(chosen[1]),
            "'hptuning' may use only one algorithm",
            ", ".join(chosen),
            f"keep one of {', '.join(chosen)}",
        )
    key = chosen[0] if chosen else "grid_search"
    algo = _ALGORITHM_PARSERS[key](sections.get(key), ctx)
    stopping: tuple[EarlyStopping, ...] = ()
    if "early_stopping" in sections:
        stopping = _early_stopping(sections["early_stopping"], ctx)
    return HPTuning(
        algorithm=ALGORITHMS[key],
        seed=seed,
        concurrency=concurrency,
        early_stopping=stopping,
        **algo,
    )


def _grid(node: Node | None, ctx: Context) -> dict[str, Any]:
    if node is None or node.value is None:
        return {}
    ctx.mapping(node, "'grid_search'")
    ctx.check_keys(node, ("n_experiments",), "'grid_search'")
    if "n_experiments" not in node.value or node.value["n_experiments"].value is None:
        return {}
    return {"n_experiments": _n_experiments(node.value["n_experiments"], "grid_search", ctx)}


def _random(node: Node | None, ctx: Context) -> dict[str, Any]:
    assert node is not None
    fix = "write `random_search: {n_experiments: 10}`"
    if node.value is None:
        raise ctx.error(node, "'random_search' needs 'n_experiments'", None, fix)
    ctx.mapping(node, "'random_search'")
    ctx.check_keys(node, ("n_experiments",), "'random_search'")
    n = _n_experiments(
        ctx.require(node, "n_experiments", "'random_search'", fix), "random_search", ctx
    )
    return {"n_experiments": n}


def _n_experiments(node: Node, where: str, ctx: Context) -> int:
    return integer(node, f"'{where}.n_experiments'", ctx, minimum=1, maximum=MAX_EXPERIMENTS)


def _hyperband(node: Node | None, ctx: Context) -> dict[str, Any]:
    assert node is not None
    ctx.mapping(node, "'hyperband'")
    ctx.check_keys(node, ("max_iter", "eta", "resource", "metric", "resume", "mode"), "'hyperband'")
    fix = "write `hyperband: {max_iter: 81, eta: 3, resource: {name: epochs, type: int}, ...}`"
    max_iter = integer(
        ctx.require(node, "max_iter", "'hyperband'", fix),
        "'hyperband.max_iter'",
        ctx,
        minimum=1,
        maximum=10**6,
    )
    eta_node = ctx.require(node, "eta", "'hyperband'", fix)
    eta = number(eta_node, "'hyperband.eta'", ctx)
    if not 1.01 <= eta <= 1000:
        raise ctx.error(
            eta_node, "'hyperband.eta' must be from 1.01 to 1000", eta, "use eta: 3 (the usual)"
        )
    res = ctx.mapping(ctx.require(node, "resource", "'hyperband'", fix), "'hyperband.resource'")
    ctx.check_keys(res, ("name", "type"), "'hyperband.resource'")
    name = text(
        ctx.require(
            res, "name", "'hyperband.resource'", "name the budget param, e.g. `name: epochs`"
        ),
        "'hyperband.resource.name'",
        ctx,
    )
    kind = "float"  # Polyaxon's default
    if "type" in res.value and res.value["type"].value is not None:
        kind = any_case(res.value["type"], ("int", "float"), "'hyperband.resource.type'", ctx)
    metric = _metric(ctx.require(node, "metric", "'hyperband'", fix), "hyperband", ctx)
    resume = False
    if "resume" in node.value and node.value["resume"].value is not None:
        resume = boolean(node.value["resume"], "'hyperband.resume'", ctx)
    mode = "brackets"
    if "mode" in node.value:
        mode = any_case(node.value["mode"], HYPERBAND_MODES, "'hyperband.mode'", ctx)
    band = Hyperband(max_iter, eta, Resource(name, kind), metric, resume, mode)
    if band.brackets > 1000 or band.total > MAX_EXPERIMENTS:
        raise ctx.error(
            node,
            f"'hyperband' plans at most {MAX_EXPERIMENTS} experiments",
            band.total if band.brackets <= 1000 else f"{band.brackets} brackets",
            "lower max_iter or raise eta",
        )
    return {"hyperband": band, "n_experiments": band.total}


def _bo(node: Node | None, ctx: Context) -> dict[str, Any]:
    assert node is not None
    ctx.mapping(node, "'bo'")
    ctx.check_keys(node, ("n_iterations", "n_initial_trials", "metric", "utility_function"), "'bo'")
    fix = "write `bo: {n_initial_trials: 5, n_iterations: 20, metric: {name: loss, ...}}`"
    n_iter = integer(
        ctx.require(node, "n_iterations", "'bo'", fix),
        "'bo.n_iterations'",
        ctx,
        minimum=1,
        maximum=MAX_EXPERIMENTS,
    )
    n_init = integer(
        ctx.require(node, "n_initial_trials", "'bo'", fix),
        "'bo.n_initial_trials'",
        ctx,
        minimum=1,
        maximum=MAX_EXPERIMENTS,
    )
    metric = _metric(ctx.require(node, "metric", "'bo'", fix), "bo", ctx)
    utility: dict[str, Any] = {}
    if "utility_function" in node.value and node.value["utility_function"].value is not None:
        utility = ctx.mapping(node.value["utility_function"], "'bo.utility_function'").plain()
    if n_iter + n_init > MAX_EXPERIMENTS:
        raise ctx.error(
            node,
            f"'bo' plans at most {MAX_EXPERIMENTS} experiments",
            n_iter + n_init,
            "lower n_iterations or n_initial_trials",
        )
    bo = BO(n_iter, n_init, metric, utility)
    return {"bo": bo, "n_experiments": bo.total}


_ALGORITHM_PARSERS = {
    "grid_search": _grid,
    "random_search": _random,
    "hyperband": _hyperband,
    "bo": _bo,
}


def _metric(node: Node, where: str, ctx: Context) -> Metric:
    ctx.mapping(node, f"'{where}.metric'")
    ctx.check_keys(node, ("name", "optimization"), f"'{where}.metric'")
    name = text(
        ctx.require(node, "name", f"'{where}.metric'", "name the metric, e.g. `name: loss`"),
        f"'{where}.metric.name'",
        ctx,
    )
    optimization = "maximize"
    if "optimization" in node.value:
        optimization = any_case(
            node.value["optimization"], OPTIMIZATIONS, f"'{where}.metric.optimization'", ctx
        )
    return Metric(name, optimization)


def _early_stopping(node: Node, ctx: Context) -> tuple[EarlyStopping, ...]:
    if node.value is None:
        return ()
    if not node.is_sequence:
        raise ctx.error(
            node,
            "'early_stopping' must be a list of policies",
            show(node),
            "write `- {metric: accuracy, value: 0.99, optimization: maximize}`",
        )
    policies = []
    for item in node.value:
        where = "'early_stopping' policy"
        ctx.mapping(item, where)
        ctx.check_keys(item, ("metric", "value", "optimization", "policy"), where)
        fix = "write `{metric: accuracy, value: 0.99, optimization: maximize}`"
        metric = text(ctx.require(item, "metric", where, fix), "'early_stopping.metric'", ctx)
        value = number(ctx.require(item, "value", where, fix), "'early_stopping.value'", ctx)
        optimization, policy = "maximize", "all"
        if "optimization" in item.value and item.value["optimization"].value is not None:
            optimization = any_case(
                item.value["optimization"], OPTIMIZATIONS, "'early_stopping.optimization'", ctx
            )
        if "policy" in item.value and item.value["policy"].value is not None:
            policy = _policy(item.value["policy"], ctx)
        policies.append(EarlyStopping(metric, value, optimization, policy))
    return tuple(policies)


def _policy(node: Node, ctx: Context) -> str:
    """Polyaxon 0.4's ``all|group|experiment``; 0.5's ``{kind: median|truncation}`` is refused."""
    if node.is_mapping:
        raise ctx.error(
            node,
            "early-stopping policies of kind median/truncation are not supported",
            show(node),
            "remove 'policy' (the group stops once the value is reached), or use `hyperband` "
            "with `mode: pruner` to stop lagging experiments",
        )
    return any_case(node, EARLY_STOPPING_POLICIES, "'early_stopping.policy'", ctx)
