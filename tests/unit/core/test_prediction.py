"""A prediction names a class only when the model answered with probabilities."""

from __future__ import annotations

from jupyter_mlpipe.api import Prediction


def test_probabilities_give_the_class_and_the_top_scores() -> None:
    answer = Prediction({}, ["cat", "dog", "owl"], [[0.1, 0.7, 0.2]])
    assert answer.label == "dog"
    assert answer.top == [("dog", 0.7), ("owl", 0.2), ("cat", 0.1)]


def test_values_that_are_not_probabilities_name_no_class() -> None:
    for values in ([[0.1, 0.2]], [[2.0, -1.0]], [[0.5, 0.5, 0.5]], [["a", "b"]], [], [[]]):
        answer = Prediction({}, ["t:0", "t:1"], values)
        assert answer.label is None and answer.top == [], values
