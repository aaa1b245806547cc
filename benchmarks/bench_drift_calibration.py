"""Calibration of the dataset drift verdict: false-alarm rate and power by sample size.

Data: 20 independent N(0, 1) features, ``n`` rows a side, ``n`` in 50, 200, 1,000 and
10,000. Scenarios: no drift at all (the false-alarm rate), and every feature of the
current data shifted by 0.1 or 0.2 standard deviations (power). For each scenario the
table gives the share of runs whose dataset verdict is "drift", and the share of
features flagged as drifted.

Ours: ``galfriday_gitops.stats.drift.analyze`` with the default configuration (KS per
feature, Benjamini-Hochberg across features at 0.05, dataset share 0.3). With
``--evidently`` and Evidently installed, its default ``DataDriftPreset`` runs on the very
same frames (KS at 0.05 per column up to 1,000 rows, normalised Wasserstein >= 0.1
above; dataset drift when half the columns drift). Evidently 0.7 does not import with
pandas 3, which this project uses; ``make bench-evidently`` runs this script in a
separate environment with pandas 2 (``tools/evidently-venv.sh``).

Usage: ``python benchmarks/bench_drift_calibration.py [--trials 400] [--evidently]``.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from galfriday_gitops.stats.drift import DriftConfig, analyze

FEATURES = 20
SIZES = (50, 200, 1_000, 10_000)
SHIFTS = (0.0, 0.1, 0.2)
COLUMNS = [f"x{i}" for i in range(FEATURES)]

Detector = Callable[[pd.DataFrame, pd.DataFrame], tuple[bool, float]]


def ours(reference: pd.DataFrame, current: pd.DataFrame) -> tuple[bool, float]:
    rep = analyze(reference, current, numeric=COLUMNS, config=DriftConfig(n_jobs=1))
    return rep.dataset_drift, len(rep.drifted_features) / FEATURES


def evidently_detector() -> tuple[Detector | None, str]:
    """Evidently's default data-drift preset, or None and why it cannot run here."""
    try:
        from evidently import Report
        from evidently.presets import DataDriftPreset
    except Exception as exc:  # ImportError, or Evidently failing on this pandas
        return None, f"{type(exc).__name__}: {exc}"

    def detect(reference: pd.DataFrame, current: pd.DataFrame) -> tuple[bool, float]:
        snapshot = Report([DataDriftPreset()]).run(current, reference).dict()
        dataset = False
        drifted = 0
        for metric in snapshot["metrics"]:
            config, value = metric["config"], metric["value"]
            if config["type"].endswith("DriftedColumnsCount"):
                dataset = float(value["share"]) >= float(config["drift_share"])
            elif config["type"].endswith("ValueDrift"):
                method, threshold = config["method"], float(config["threshold"])
                # p-value methods drift below the threshold, distances at or above it
                drifted += value < threshold if "p_value" in method else value >= threshold
        return dataset, drifted / FEATURES

    import evidently

    return detect, f"Evidently {evidently.__version__}, default DataDriftPreset"


@dataclass
class Tally:
    runs: int = 0
    dataset: int = 0
    features: float = 0.0
    seconds: float = 0.0

    def add(self, verdict: tuple[bool, float], seconds: float) -> None:
        self.runs += 1
        self.dataset += verdict[0]
        self.features += verdict[1]
        self.seconds += seconds

    def cell(self) -> str:
        if not self.runs:
            return "-"
        return f"{self.dataset / self.runs:.3f} / {self.features / self.runs:.3f}"


def frames(n: int, shift: float, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng([n, int(shift * 1000), seed])
    reference = pd.DataFrame(rng.normal(size=(n, FEATURES)), columns=COLUMNS)
    current = pd.DataFrame(rng.normal(shift, 1.0, size=(n, FEATURES)), columns=COLUMNS)
    return reference, current


def _runs(trials: int, n: int, shift: float) -> int:
    """Runs for one cell: the false-alarm rate gets the most, 10,000 rows half as many."""
    runs = trials if shift == 0.0 else trials // 2
    return runs if n < 10_000 else runs // 2


def run(trials: dict[str, int], detectors: dict[str, Detector]) -> None:
    names = list(detectors)
    header = ["n", "shift (sd)", *(f"{name}: dataset / features" for name in names), "runs"]
    print(" | ".join(header))
    print(" | ".join("---" for _ in header))
    seconds = dict.fromkeys(names, 0.0)
    for n in SIZES:
        for shift in SHIFTS:
            counts = {name: Tally() for name in names}
            wanted = {name: _runs(trials[name], n, shift) for name in names}
            for seed in range(max(wanted.values())):
                reference, current = frames(n, shift, seed)
                for name, detect in detectors.items():
                    if seed < wanted[name]:
                        t0 = time.perf_counter()
                        counts[name].add(detect(reference, current), time.perf_counter() - t0)
            runs = " / ".join(str(counts[name].runs) for name in names)
            cells = [counts[name].cell() for name in names]
            print(" | ".join([f"{n:,}", f"{shift:g}", *cells, runs]), flush=True)
            for name in names:
                seconds[name] += counts[name].seconds
    print("\nseconds in all: " + ", ".join(f"{k} {v:.0f}" for k, v in seconds.items()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trials", type=int, default=300, help="null runs per n for ours")
    parser.add_argument(
        "--evidently-trials", type=int, default=100, help="null runs per n for Evidently"
    )
    parser.add_argument("--evidently", action="store_true", help="also run Evidently")
    args = parser.parse_args()
    detectors: dict[str, Detector] = {"ours": ours}
    if args.evidently:
        detect, what = evidently_detector()
        if detect is None:
            print(f"Evidently not measured: it cannot run here ({what}).")
            print("Run `make bench-evidently` (a separate environment with pandas 2).\n")
        else:
            print(f"Evidently: {what}\n")
            detectors["evidently"] = detect
    else:
        print("Evidently not measured (pass --evidently; see the module docstring).\n")
    print(f"{FEATURES} independent N(0,1) features; shifted runs move every feature.\n")
    run({"ours": args.trials, "evidently": args.evidently_trials}, detectors)


if __name__ == "__main__":
    main()
