"""Prints Rasa's intent reports as a short table: accuracy, macro-F1 and F1 per intent."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

SUMMARY_KEYS = ("accuracy", "macro avg", "weighted avg", "micro avg")


def macro_f1(report: Mapping[str, Any]) -> float:
    return float(report["macro avg"]["f1-score"])


def print_reports(reports: Mapping[str, Mapping[str, Any]]) -> None:
    names = list(reports)
    intents = sorted(
        {key for report in reports.values() for key in report if key not in SUMMARY_KEYS}
    )
    width = max(len(name) for name in [*intents, "intent"])
    print(f"{'intent':<{width}}  " + "  ".join(f"{name:>16}" for name in names))
    for intent in intents:
        cells = []
        for name in names:
            row = reports[name].get(intent)
            cells.append(f"{row['f1-score']:>16.3f}" if row else f"{'-':>16}")
        print(f"{intent:<{width}}  " + "  ".join(cells))
    print()
    for name, report in reports.items():
        accuracy = report.get("accuracy")
        accuracy_text = f"{float(accuracy):.3f}" if accuracy is not None else "n/a"
        print(f"{name}: accuracy {accuracy_text}, macro-F1 {macro_f1(report):.3f}")


def macro_f1_of(pairs: list[tuple[str, str]]) -> float:
    """Macro-averaged F1 of (true, predicted) pairs over every label that occurs on either
    side, as `rasa test nlu` reports it: a wrong `nlu_fallback` counts as a class of its own."""
    intents = sorted({label for pair in pairs for label in pair})
    scores = []
    for intent in intents:
        true_positive = sum(1 for t, p in pairs if t == intent and p == intent)
        predicted = sum(1 for _, p in pairs if p == intent)
        actual = sum(1 for t, _ in pairs if t == intent)
        precision = true_positive / predicted if predicted else 0.0
        recall = true_positive / actual if actual else 0.0
        total = precision + recall
        scores.append(2 * precision * recall / total if total else 0.0)
    return sum(scores) / len(scores)
