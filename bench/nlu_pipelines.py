"""Compares NLU pipelines by 5-fold cross-validation on nlu/data/, with Rasa's own
`rasa test nlu --cross-validation`, and prints for each: intent accuracy and macro-F1, the
weakest intents, entity F1 per extractor, the time it took, and the reliability curve (of the
texts with confidence at least x, how many were right, and what share of all texts that is),
from which the bot's thresholds are chosen.

Every pipeline runs without its FallbackClassifier, so the confidences are DIET's own.
Run: `.venv/bin/python -m bench.nlu_pipelines [--folds 5] [NAME ...]`; names are nlu/config.yml
("config") and the files in bench/nlu_pipelines/. Reports land in nlu/results/pipelines/.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import time
from pathlib import Path
from typing import Any

import yaml

from nlu import service
from nlu.report import SUMMARY_KEYS

ALTERNATIVES = Path(__file__).resolve().parent / "nlu_pipelines"
OUT = service.RESULTS / "pipelines"
CURVE = (0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)


def config_files() -> dict[str, Path]:
    files = {"config": service.PROJECT / "config.yml"}
    files.update({path.stem: path for path in sorted(ALTERNATIVES.glob("*.yml"))})
    return files


def without_fallback(config: Path, out: Path) -> Path:
    data = yaml.safe_load(config.read_text(encoding="utf-8"))
    data["pipeline"] = [c for c in data["pipeline"] if c["name"] != "FallbackClassifier"]
    path = out / "config.yml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def cross_validate(name: str, config: Path, folds: int) -> dict[str, Any]:
    out = OUT / name
    out.mkdir(parents=True, exist_ok=True)
    plain = without_fallback(config, out)
    command = [
        str(service.RASA), "test", "nlu", "--nlu", "data", "--config", str(plain),
        "--cross-validation", "--folds", str(folds), "--out", str(out),
        "--successes", "--no-plot",
    ]  # fmt: skip
    started = time.monotonic()
    with (out / "rasa.log").open("wb") as log:
        subprocess.run(
            command, cwd=service.PROJECT, env=service.rasa_env(), stdout=log,
            stderr=subprocess.STDOUT, check=True,
        )  # fmt: skip
    return summary(out, time.monotonic() - started, folds)


def summary(out: Path, seconds: float, folds: int) -> dict[str, Any]:
    report = json.loads((out / "intent_report.json").read_text())
    intents = {k: v for k, v in report.items() if k not in SUMMARY_KEYS}
    weakest = sorted(intents.items(), key=lambda item: item[1]["f1-score"])[:4]
    entities = {}
    for path in sorted(out.glob("*_report.json")):
        if path.name == "intent_report.json":
            continue
        extractor = path.name.removesuffix("_report.json")
        for entity, row in json.loads(path.read_text()).items():
            # an extractor's report lists every entity; only those it finds say anything
            if entity not in SUMMARY_KEYS and entity != "no_entity" and row["precision"] > 0:
                entities[f"{entity} ({extractor})"] = round(row["f1-score"], 3)
    return {
        "accuracy": round(report["accuracy"], 3),
        "macro_f1": round(report["macro avg"]["f1-score"], 3),
        "weakest": {k: round(v["f1-score"], 3) for k, v in weakest},
        "entities": entities,
        "minutes": round(seconds / 60, 1),
        "folds": folds,
        "curve": reliability(out),
    }


def reliability(out: Path) -> list[dict[str, float]]:
    """Of the texts whose best intent had confidence >= x: the share right (precision) and
    the share of all texts acted on at that threshold (coverage)."""
    right = [r["intent_prediction"]["confidence"] for r in _records(out, "intent_successes")]
    wrong = [r["intent_prediction"]["confidence"] for r in _records(out, "intent_errors")]
    total = len(right) + len(wrong)
    curve = []
    for low, high in zip(CURVE, [*CURVE[1:], 1.01], strict=True):
        good = sum(1 for c in right if c >= low)
        bad = sum(1 for c in wrong if c >= low)
        band_good = sum(1 for c in right if low <= c < high)
        band_bad = sum(1 for c in wrong if low <= c < high)
        curve.append(
            {
                "threshold": low,
                "precision": round(good / (good + bad), 3) if good + bad else 1.0,
                "coverage": round((good + bad) / total, 3) if total else 0.0,
                "right_acted": round(good / total, 3) if total else 0.0,
                # how often the best intent is right when its confidence is in [x, next x)
                "band_precision": round(band_good / (band_good + band_bad), 3)
                if band_good + band_bad
                else 1.0,
                "band_share": round((band_good + band_bad) / total, 3) if total else 0.0,
            }
        )
    return curve


def _records(out: Path, name: str) -> list[dict[str, Any]]:
    path = out / f"{name}.json"
    return json.loads(path.read_text()) if path.exists() else []


def print_summary(name: str, result: dict[str, Any]) -> None:
    print(f"\n## {name}: accuracy {result['accuracy']}, macro-F1 {result['macro_f1']}, "
          f"{result['minutes']} min for {result['folds']} folds")  # fmt: skip
    print("weakest intents:", result["weakest"])
    print("entities:", result["entities"])
    print("x      right if >= x  share >= x  right in [x, next)  share in band")
    for p in result["curve"]:
        print(f"{p['threshold']:<6} {p['precision']:>13} {p['coverage']:>11} "
              f"{p['band_precision']:>19} {p['band_share']:>14}")  # fmt: skip


def print_saved() -> None:
    for name, result in json.loads((OUT / "summary.json").read_text()).items():
        print_summary(name, result)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("names", nargs="*", help="default: all")
    args = parser.parse_args()
    files = config_files()
    saved = OUT / "summary.json"
    results = json.loads(saved.read_text()) if saved.exists() else {}
    for name in args.names or list(files):
        results[name] = cross_validate(name, files[name], args.folds)
        print_summary(name, results[name])
        saved.write_text(json.dumps(results, indent=1, ensure_ascii=False))


if __name__ == "__main__":
    main()
