"""The %mlpipe magics in an in-process IPython shell, against the real API on a temp store."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from IPython.core.error import UsageError

from jupyter_mlpipe.api import ExperimentInfo, Mlpipe, Sweep


def line(shell: Any, text: str) -> Any:
    return shell.run_line_magic("mlpipe", text)


def cell(shell: Any, text: str, body: str) -> Any:
    return shell.run_cell_magic("mlpipe", text, body)


def test_help_the_ipython_way(shell: Any, capsys: pytest.CaptureFixture[str]) -> None:
    assert line(shell, "sweep --help") is None  # prints argparse help, no SystemExit
    out = capsys.readouterr().out
    assert "--name" in out and "--wait" in out
    assert line(shell, "") is None
    assert "dashboard" in capsys.readouterr().out
    doc = shell.find_line_magic("mlpipe").__doc__
    for verb in ("sweep", "experiments", "plot", "best", "package", "deploy", "predict", "config"):
        assert f"  {verb}" in doc
    shell.run_cell("%mlpipe?")
    assert "Verbs:" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("nope", "unknown verb .nope."),
        ("experiments", "required"),
        ("experiments notanumber", "invalid int"),
        ("experiments 99", "group 99 does not exist"),
        ("best 99 --metric loss", "does not exist"),
        ("logs 12345", "experiment 12345 does not exist"),
        ("predict nothing-here input.json", "nothing-here"),
        ("undeploy nothing-here", "nothing-here"),
        ("sweep", "needs"),
        ("config no_such_setting 1", "unknown setting"),
        ("experiments 1 'unclosed", "quotes"),
    ],
)
def test_user_mistakes_are_usage_errors(shell: Any, text: str, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        line(shell, text)


def test_cell_body_only_for_sweep(shell: Any) -> None:
    with pytest.raises(UsageError, match="only `%%mlpipe sweep`"):
        cell(shell, "groups", "something")
    with pytest.raises(UsageError, match="cell body"):
        cell(shell, "sweep", "   \n")


def test_spec_errors_point_at_the_cell_line(shell: Any) -> None:
    body = "version: 1\nkind: group\nhptuning:\n  matrix:\n    lr:\n      linspace: 0.1:0.001:5\n"
    with pytest.raises(UsageError) as caught:
        cell(shell, "sweep --name bad", body)
    text = str(caught.value)
    assert text.startswith("<cell>:")
    line_no = int(text.split(":")[1])
    assert line_no >= 2  # the magic is line 1; the spec starts at line 2 of the cell


def test_group_and_experiment_verbs_return_objects(
    shell: Any, make_group: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    group = make_group()
    first, second = group.experiments
    for step in range(4):
        group.log(first, step, loss=1.0 / (step + 1), accuracy=0.2 * step)
        group.log(second, step, loss=2.0 / (step + 1), accuracy=0.1 * step)
    group.store.log_path(first).write_text("epoch 1\nepoch 2\n")
    groups = line(shell, "groups")
    assert list(groups.index) == [group.id] and groups.loc[group.id, "status"] == "running"
    frame = line(shell, f"experiments {group.id} --sort=-accuracy")
    assert list(frame.index) == [first, second] and "accuracy" in frame.columns
    group.finish()
    best = line(shell, f"best {group.id} --metric loss --mode min")
    assert isinstance(best, ExperimentInfo) and best.id == first
    assert "<table>" in best._repr_html_()
    assert line(shell, f"logs {first}") is None
    assert capsys.readouterr().out == "epoch 1\nepoch 2\n"
    handle = line(shell, f"attach {group.id}")
    assert isinstance(handle, Sweep) and handle.status() == "succeeded"
    assert line(shell, f"stop --experiment {second}") is None
    assert f"experiment {second}" in capsys.readouterr().out


def test_settings_via_mlpipe_config_and_percent_config(
    shell: Any, api: Mlpipe, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MLPIPE_CONFIG", str(tmp_path / "config.yaml"))
    table = line(shell, "config")
    assert table.loc["project", "value"] == "nbtest"
    line(shell, "config registry registry.example:5000")
    assert "registry: registry.example:5000" in (tmp_path / "config.yaml").read_text()
    magics = shell.user_ns["_mlpipe_magics"]
    assert magics.api.settings.registry == "registry.example:5000"
    shell.run_line_magic("config", "Mlpipe.project = 'other'")
    assert magics.api.settings.project == "other"
    assert magics.api.settings.outputs_root == api.settings.outputs_root
    assert line(shell, "config project").iloc[0]["value"] == "other"
    shell.run_line_magic("config", "Mlpipe.backend = 'nowhere'")
    with pytest.raises(UsageError, match="backend"):
        line(shell, "groups")


def test_plot_without_a_frontend_shows_one_static_picture(
    shell: Any, make_group: Any, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    group = make_group()
    for step in range(5):
        group.log(group.experiments[0], step, loss=1.0 / (step + 1), accuracy=step / 5)
    group.finish()
    with pytest.raises(UsageError, match="no metric 'f1'"):
        line(shell, f"plot {group.id} --metric f1")
    plot = line(shell, f"plot {group.id} --metric loss")
    assert plot.finished and not plot.running
    assert plot.store.lines["loss"][group.experiments[0]].size == 5
    target = tmp_path / "curves.png"
    line(shell, f"plot {group.id} -m loss -m accuracy --save {target}")
    assert "curves-loss.png" in capsys.readouterr().out
    assert (tmp_path / "curves-loss.png").read_bytes().startswith(b"\x89PNG")
    assert (tmp_path / "curves-accuracy.png").is_file()


def test_dry_runs_display_as_yaml(shell: Any, make_group: Any) -> None:
    group = make_group()
    spec = "version: 1\nkind: group\nhptuning:\n  matrix:\n    lr:\n      values: [0.1, 0.2]\n"
    spec += "run:\n  cmd: python train.py --lr={{ lr }}\n"
    docs = cell(shell, "sweep --dry-run", spec)
    assert len(docs) == 2 and "lr: 0.1" in repr(docs) and "<pre>" in docs._repr_html_()
    assert list(line(shell, "groups").index) == [group.id]  # a dry run creates nothing


def test_completion_of_verbs_ids_names_and_metrics(
    shell: Any, make_group: Any, api: Mlpipe
) -> None:
    group = make_group()
    group.log(group.experiments[0], 0, loss=0.5, accuracy=0.9)
    (api.settings.deployments_root / "mnist-best").mkdir(parents=True)

    def complete(typed: str) -> list[str]:
        return list(shell.complete(typed.split(" ")[-1], typed, len(typed))[1])

    assert "experiments" in complete("%mlpipe ex") and "dashboard" in complete("%mlpipe da")
    assert complete("%mlpipe experiments ") == [str(group.id)]
    assert set(complete("%mlpipe logs ")) == {str(e) for e in group.experiments}
    assert complete(f"%mlpipe plot {group.id} --metric ") == ["accuracy", "loss"]
    assert complete(f"%mlpipe plot {group.id} -m l") == ["loss"]
    assert complete("%mlpipe deploy ") == ["mnist-best"]
    assert "outputs_root" in complete("%mlpipe config out")
    assert "--name" in complete("%%mlpipe sweep --na")


def test_completion_offers_ids_and_metrics_never_python_keywords(
    shell: Any, make_group: Any
) -> None:
    """What JupyterLab asks for (``Completer.completions``): ours only, in our order."""
    from IPython.core.completer import provisionalcompleter

    group = make_group()
    group.log(group.experiments[0], 0, loss=0.5, accuracy=0.9)

    def complete(typed: str) -> list[tuple[str, str]]:
        with provisionalcompleter():
            return [(c.text, c.type) for c in shell.Completer.completions(typed, len(typed))]

    verbs = complete("%mlpipe ")
    assert verbs and all(kind == "mlpipe" for _, kind in verbs)
    assert not {"and", "if", "in", "is", "not", "or"} & {text for text, _ in verbs}
    ids = [text for text, _ in complete("%mlpipe logs ")]
    assert ids == [str(e) for e in sorted(group.experiments, reverse=True)]
    assert [t for t, _ in complete(f"%mlpipe plot {group.id} --metric ")] == ["accuracy", "loss"]
    assert [t for t, _ in complete("%mlpipe config in")] == ["ingress_url"]
    assert "print" in [t for t, _ in complete("pri")]  # plain Python lines are left alone
    completer = shell.user_ns["_mlpipe_magics"].completer
    typed = "%mlpipe experiments 99 --metric "
    assert completer(SimpleNamespace(line=typed, text_until_cursor=typed)) == []  # no such group


def test_empty_listings_say_where_they_looked(
    shell: Any, api: Mlpipe, make_group: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    group = make_group()
    assert line(shell, "groups -p other").empty  # still a DataFrame, for chaining
    where = api.settings.outputs_root / "tester" / "other"
    assert capsys.readouterr().out.splitlines() == [
        f"nothing yet: project 'other' has no sweeps (looked in {where}) — start one with"
        " `mlpipe sweep -f FILE` (`%%mlpipe sweep` in a notebook); projects with sweeps under"
        f" {api.settings.outputs_root}: nbtest"
    ]
    assert not line(shell, "groups").empty and "nothing yet" not in capsys.readouterr().out
    assert not line(shell, f"experiments {group.id}").empty
    assert "nothing yet" not in capsys.readouterr().out
