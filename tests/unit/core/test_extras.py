"""A missing optional part names the extra that installs it, in one line."""

from __future__ import annotations

import pytest

from jupyter_mlpipe.errors import ConfigError, outcome_of, require_extra


def test_a_missing_library_names_its_extra() -> None:
    with pytest.raises(ConfigError) as raised:
        require_extra("no_such_library_here", "notebook", "plots")
    message = str(raised.value)
    assert message == (
        "plots need no_such_library_here, which is not installed — "
        "pip install 'jupyter-mlpipe[notebook]'"
    )
    assert "\n" not in message and outcome_of(raised.value).exit_code == 2


def test_a_missing_parent_package_counts_as_missing() -> None:
    with pytest.raises(ConfigError, match=r"\[kubernetes\]"):
        require_extra("no_such_parent.client", "kubernetes", "the Kubernetes backends")


def test_an_installed_library_passes() -> None:
    require_extra("json", "notebook", "nothing")
