"""Parameter importance for the group's objective, by Optuna's importance evaluators.

The group's usable experiments (see :mod:`.base`) become an in-memory Optuna study
(``optuna.trial.create_trial`` with a distribution per param) and
``optuna.importance.get_param_importances`` ranks the params. Numeric params get a
``FloatDistribution`` (``IntDistribution`` when all are integers) over the values seen; any
other param is categorical over its values (non-scalar values by their JSON text). A param with
one value across the group tells nothing and is listed in :attr:`Importance.constant`.

Evaluators (``method``): ``"mdi"`` (default: mean decrease impurity of a random forest, about
0.2 s for 1,000 experiments), ``"fanova"`` (Optuna's default; its cost grows fast — most of a
minute for 1,000 experiments here) and ``"ped-anova"`` (PED-ANOVA, quantile based, fastest).
The first two fit scikit-learn forests; without scikit-learn the default is PED-ANOVA.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from ...store import ExperimentRow, Objective
from .base import Trial, View, gather, is_numeric

METHODS = ("mdi", "fanova", "ped-anova")


@dataclass(frozen=True, repr=False)
class Importance(View):
    """Params ranked by importance (fractions summing to 1), most important first."""

    kind: ClassVar[str] = "importance"

    method: str = "mdi"
    importances: Mapping[str, float] = field(default_factory=dict)
    constant: tuple[str, ...] = ()

    def _data(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "importances": [{"param": k, "importance": v} for k, v in self.importances.items()],
            "constant": list(self.constant),
        }


def _distribution(values: list[Any]) -> Any:
    from optuna.distributions import (
        CategoricalDistribution,
        FloatDistribution,
        IntDistribution,
    )

    if is_numeric(values):
        if all(isinstance(v, int) for v in values):
            return IntDistribution(min(values), max(values))
        return FloatDistribution(float(min(values)), float(max(values)))
    return CategoricalDistribution(sorted({str(v) for v in values}))


def _evaluator(method: str) -> Any:
    from optuna import importance

    if method == "fanova":
        return importance.FanovaImportanceEvaluator(seed=0)
    if method == "ped-anova":
        return importance.PedAnovaImportanceEvaluator()
    return importance.MeanDecreaseImpurityImportanceEvaluator(seed=0)


def _rank(
    trials: list[Trial], names: list[str], objective: Objective, method: str
) -> dict[str, float]:
    import optuna

    columns = {n: [t.params[n] for t in trials] for n in names}
    distributions = {n: _distribution(v) for n, v in columns.items()}
    categorical = {n for n, d in distributions.items() if hasattr(d, "choices")}
    frozen = [
        optuna.trial.create_trial(
            params={n: str(t.params[n]) if n in categorical else t.params[n] for n in names},
            distributions=distributions,
            value=t.value,
        )
        for t in trials
    ]
    verbosity = optuna.logging.get_verbosity()
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # PED-ANOVA is "experimental"; fine for a view
            study = optuna.create_study(
                direction="minimize" if objective.mode == "min" else "maximize"
            )
            study.add_trials(frozen)
            ranked = optuna.importance.get_param_importances(study, evaluator=_evaluator(method))
    finally:
        optuna.logging.set_verbosity(verbosity)
    return {str(k): float(v) for k, v in ranked.items()}


def has_sklearn() -> bool:
    """``mdi`` and ``fanova`` fit scikit-learn forests; PED-ANOVA needs nothing more."""
    import importlib.util

    return importlib.util.find_spec("sklearn") is not None


def importance(
    group: int,
    rows: Iterable[ExperimentRow],
    objective: Objective | None,
    method: str | None = None,
) -> Importance:
    """The importance of each param for ``objective`` (a record with a reason when not possible).

    Args:
        method: one of :data:`METHODS`; None means ``mdi`` when scikit-learn is installed, else
            ``ped-anova``.

    Raises:
        ValueError: an unknown ``method`` (the API turns it into InvalidArgument).
    """
    if method is None:
        method = "mdi" if has_sklearn() else "ped-anova"
    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(METHODS)}, got {method!r}")
    trials, skipped, reason = gather(group, rows, objective, 2)
    base: dict[str, Any] = {"included": len(trials), "skipped": skipped, "method": method}
    if reason or objective is None:
        return Importance(group, objective, reason=reason, **base)
    names = sorted({n for t in trials for n in t.params})
    partial = [n for n in names if any(n not in t.params for t in trials)]
    names = [n for n in names if n not in partial]
    constant = tuple(n for n in names if len({repr(t.params[n]) for t in trials}) == 1)
    varying = [n for n in names if n not in constant]
    if not varying:
        return Importance(
            group,
            objective,
            reason="no param takes more than one value among them, so none can matter more",
            constant=constant,
            **base,
        )
    if method != "ped-anova" and not has_sklearn():
        return Importance(
            group,
            objective,
            reason=f"the {method!r} evaluator needs scikit-learn — `pip install scikit-learn`,"
            " or ask for method='ped-anova'",
            constant=constant,
            **base,
        )
    ranked = _rank(trials, varying, objective, method)
    return Importance(group, objective, importances=ranked, constant=constant, **base)
