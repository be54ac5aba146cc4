"""Search comparison: PFN vs Optuna TPE vs random on one AutoML task, equal trial budget, seeds.

Every trial trains for real with the pfnopt trainer. Records per trial its state, validation
loss, family, completion time since the study started, and the test metrics of each new best;
the report (report.py) draws best-so-far curves and tables from the JSON.

CPU budget (stated in the report): ETTh1 with lookback 96 (the GPU protocol uses 336) and a
narrowed space (width <= 128, depth <= 3, batch 32/64), 3 epochs of 15 steps per trial;
digits with width <= 128, depth <= 3, 4 full epochs. PFN and TPE start from the same 5 Sobol
points (``n_startup=5``); random draws uniformly.

    OMP_WAIT_POLICY=PASSIVE OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/automl/compare.py \
        --task etth1 --n-trials 12 --seeds 0 1 2 --out benchmarks/automl/results/compare_etth1.json
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from pfnopt.automl import TrainConfig, search  # noqa: E402
from pfnopt.automl.space import default_space  # noqa: E402
from pfnopt.automl.tasks import get_task  # noqa: E402
from pfnopt.samplers import get_sampler  # noqa: E402
from pfnopt.space import Categorical, Int  # noqa: E402

SETTINGS = {
    "etth1": dict(lookback=96, train=dict(epochs=3, steps_per_epoch=15, eval_windows=400)),
    "digits": dict(lookback=None, train=dict(epochs=4, steps_per_epoch=None, eval_windows=None)),
    "mnist": dict(lookback=None, train=dict(epochs=3, steps_per_epoch=40, eval_windows=None)),
}


def cpu_space(task, lookback):
    space = default_space(task)
    space.set("width", Int(32, 128, step=32)).set("depth", Int(1, 3)).set("batch_size", Categorical([32, 64]))
    if lookback is not None:
        space.fix("lookback", lookback)
    return space


def make_sampler(name: str, seed: int):
    if name in ("pfn", "tpe"):
        return get_sampler(name, seed=seed, n_startup=5)
    return get_sampler(name, seed=seed)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--task", required=True, choices=sorted(SETTINGS))
    ap.add_argument("--methods", nargs="*", default=["pfn", "tpe", "random"])
    ap.add_argument("--seeds", nargs="*", type=int, default=[0, 1, 2])
    ap.add_argument("--n-trials", type=int, default=12)
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    st = SETTINGS[args.task]
    task = get_task(args.task)
    runs = []
    if os.path.exists(args.out):  # resume: keep finished runs
        with open(args.out) as f:
            runs = json.load(f)["runs"]
    done = {(r["method"], r["seed"]) for r in runs}
    tc = TrainConfig(batch_size=64, latency_runs=0, device=args.device, threads=args.threads, **st["train"])
    space_json = cpu_space(task, st["lookback"]).to_json()
    for seed in args.seeds:
        for method in args.methods:
            if (method, seed) in done:
                continue
            t0 = time.time()
            study = search(
                task,
                n_trials=args.n_trials,
                sampler=make_sampler(method, seed),
                space=cpu_space(task, st["lookback"]),
                train_config=tc,
                seed=seed,
                device=args.device,
            )
            start = min(t.datetime_start for t in study.trials)
            trials = [
                {
                    "number": t.number,
                    "state": t.state.name,
                    "value": t.value,
                    "family": t.params.get("family"),
                    "elapsed_s": (t.datetime_complete - start).total_seconds() if t.datetime_complete else None,
                    "params": dict(t.params),
                    "fail_reason": t.user_attrs.get("fail_reason"),
                    **{k: t.user_attrs.get(k) for k in ("test_loss", "test_mae", "test_acc", "n_params", "wall_s")},
                }
                for t in study.trials
            ]
            run = {"method": method, "seed": seed, "wall_s": time.time() - t0, "trials": trials}
            if method == "pfn":  # which weights made the suggestions (the shipped checkpoint evolves)
                from pfnopt.surrogate import load_pfn

                rec = load_pfn().record
                from pfnopt.samplers.pfn import PFNSampler

                run["pfn_checkpoint"] = {"step": rec.get("step"), "val_nll": rec.get("val_nll")}
                run["pfn_rule"] = PFNSampler.RULE_VERSION  # the suggestion rule evolves too
            runs.append(run)
            best = study.best_trial
            print(
                f"{args.task} {method} seed {seed}: best val {best.value:.4f} ({best.params['family']}) "
                f"test {best.user_attrs.get('test_loss'):.4f} in {time.time() - t0:.0f}s",
                flush=True,
            )
            with open(args.out, "w") as f:
                json.dump(
                    {
                        "meta": {
                            "task": args.task,
                            "n_trials": args.n_trials,
                            "settings": st,
                            "train_config": tc.__dict__,
                            "space": space_json,
                            "command": " ".join(sys.argv),
                        },
                        "runs": runs,
                    },
                    f,
                    indent=1,
                    default=str,
                )


if __name__ == "__main__":
    main()
