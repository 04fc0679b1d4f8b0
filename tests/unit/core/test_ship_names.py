"""Default ship names: readable, unique per project/group/experiment, always a DNS-1123 label."""

from __future__ import annotations

import pytest

from jupyter_mlpipe.api.ship_run import default_ship_name
from jupyter_mlpipe.store.names import validate_name


def test_the_default_name_reads_project_group_experiment() -> None:
    assert default_ship_name("mnist", 3, 17) == "mnist-g3-e17"


@pytest.mark.parametrize(
    "project,group,experiment",
    [
        ("p" * 63, 1, 2),
        ("a" * 53 + "-" + "b" * 9, 12, 345),  # cut right after a dash: no dash left dangling
        ("x", 2**53 - 1, 2**53 - 1),
    ],
)
def test_long_names_are_shortened_from_the_project_and_stay_labels(
    project: str, group: int, experiment: int
) -> None:
    name = default_ship_name(project, group, experiment)
    assert validate_name(name) == name and len(name) <= 63
    assert name.endswith(f"-g{group}-e{experiment}")
    assert name.startswith(project[:10])


def test_two_projects_or_groups_never_share_a_default_name() -> None:
    names = {default_ship_name(p, g, 7) for p in ("alpha", "beta") for g in (1, 2)}
    assert len(names) == 4
