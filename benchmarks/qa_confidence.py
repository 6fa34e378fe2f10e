"""Fits the calibrated confidence (index.CALIBRATION) and measures it one set at a time;
prints JSON.

    .venv/bin/python benchmarks/qa_confidence.py

Each labelled set is answered by a knowledge base that did not learn it (qa_leave_one_out.py).
The answers the confidence rules leave unsure carry what the rules looked at
(SearchResult.features): a logistic model of those features, right answers against wrong ones
and off-topic questions (which weigh OFF_TOPIC_WEIGHT times as much, as one answered is worse
than a wrong one), gives the odds that such an answer is right. "weights" are fitted on every
set and go into index.CALIBRATION; "held_out" counts, for each threshold, the answers the model
fitted on all other sets would add to a set: right, wrong, and off-topic questions answered.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

import numpy as np
from qa_leave_one_out import BLIND, HEARD, LEFT_OUT, questions, without

from handlers.kb.evaluation import answered_right
from handlers.kb.index import CONFIDENCE_FEATURES

OFF_TOPIC_WEIGHT = 5.0
THRESHOLDS = (0.7, 0.75, 0.8, 0.85, 0.9)
STEPS, RATE, L2 = 4000, 0.5, 1e-3
# qa_blind21: short questions written to check one rule, not typical ones; qa_blind29: written
# to check the weights fitted before it.
LEFT_ASIDE = ("qa_blind21", "qa_blind29")


def unsure_answers(name: str) -> list[tuple[list[float], bool, bool]]:
    """(features, right, off topic) of each answer of the set the rules left unsure."""
    found = []
    with tempfile.TemporaryDirectory() as directory:
        kb = without(name, Path(directory))
        for question in questions(name):
            if question.no_entry:
                continue
            result = kb.search(question.text, question.lang)
            if result.features is None or result.outside or result.small_talk:
                continue
            right = question.expect is not None and answered_right(question, result)
            found.append(([1.0, *(float(getattr(result.features, name))
                                  for name in CONFIDENCE_FEATURES)],
                          right, question.expect is None))
    return found


def fit(features: np.ndarray, right: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """Logistic regression by gradient descent, lightly regularised (not the bias)."""
    coefficients = np.zeros(features.shape[1])
    for _ in range(STEPS):
        odds = 1 / (1 + np.exp(-features @ coefficients))
        gradient = features.T @ ((odds - right) * weight) / weight.sum()
        coefficients -= RATE * (gradient + L2 * np.r_[0.0, coefficients[1:]])
    return coefficients


def main() -> int:
    names = [name for name in LEFT_OUT + HEARD + BLIND if name not in LEFT_ASIDE]
    rows = {name: unsure_answers(name) for name in names}
    held_out = {str(threshold): {"right": 0, "wrong": 0, "off_topic": 0}
                for threshold in THRESHOLDS}
    for name in names:
        training = [row for other in names if other != name for row in rows[other]]
        features, right, off_topic = (np.array(column, dtype=float)
                                      for column in zip(*training, strict=True))
        coefficients = fit(features, right, np.where(off_topic > 0, OFF_TOPIC_WEIGHT, 1.0))
        for row_features, row_right, row_off_topic in rows[name]:
            odds = 1 / (1 + np.exp(-np.dot(row_features, coefficients)))
            for threshold in THRESHOLDS:
                if odds >= threshold:
                    kind = "off_topic" if row_off_topic else "right" if row_right else "wrong"
                    held_out[str(threshold)][kind] += 1
    everything = [row for name in names for row in rows[name]]
    features, right, off_topic = (np.array(column, dtype=float)
                                  for column in zip(*everything, strict=True))
    coefficients = fit(features, right, np.where(off_topic > 0, OFF_TOPIC_WEIGHT, 1.0))
    weights = dict(zip(("bias", *CONFIDENCE_FEATURES), np.round(coefficients, 3).tolist(),
                       strict=True))
    print(json.dumps({"unsure_answers": len(everything), "weights": weights,
                      "held_out": held_out}, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
