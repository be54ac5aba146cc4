"""Compositional out-of-distribution check on the synthetic series.

Train each forecasting family once on the seeded synthetic task (channels: sums of 1-2
sinusoids + trend); score on (a) the in-distribution test split and (b) the OOD test split where
every channel becomes the sum of ALL primitive periods with its trend reversed (a composition no
training channel showed). The last-value forecast is the floor.

    OMP_WAIT_POLICY=PASSIVE OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/automl/ood.py \
        --out benchmarks/automl/results/ood.json
"""

from __future__ import annotations

import argparse
import json
import os
import sys

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from pfnopt.automl.models import FORECAST_FAMILIES  # noqa: E402
from pfnopt.automl.tasks import synthetic_task  # noqa: E402
from pfnopt.automl.train import TrainConfig, model_config_for, score, train  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", nargs="*", type=int, default=[0, 1, 2])
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    rows = []
    for seed in args.seeds:
        ind = synthetic_task(length=3000, n_channels=4, horizon=48, seed=seed)
        ood = synthetic_task(length=3000, n_channels=4, horizon=48, seed=seed, ood=True)
        for fam in FORECAST_FAMILIES:
            arch = dict(family=fam, lookback=192, width=64, depth=2, heads=4, patch_len=16, stride=8, revin=True)
            cfg = model_config_for(ind, arch)
            tc = TrainConfig(epochs=4, steps_per_epoch=40, batch_size=64, lr=2e-3, latency_runs=0, seed=seed)
            res = train(cfg, tc, ind)
            row = {
                "seed": seed,
                "family": fam,
                "val": res.best_val,
                "test_in": score(cfg, res.state_dict, ind, "test", tc)["loss"],
                "test_ood": score(cfg, res.state_dict, ood, "test", tc)["loss"],
                "naive_in": ind.naive_mse("test", 192),
                "naive_ood": ood.naive_mse("test", 192),
            }
            rows.append(row)
            print(json.dumps(row), flush=True)
    with open(args.out, "w") as f:
        json.dump({"meta": {"command": " ".join(sys.argv)}, "rows": rows}, f, indent=1)


if __name__ == "__main__":
    main()
