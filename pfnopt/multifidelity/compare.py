"""Pruned random search on LCBench at a fixed epoch budget: the loop behind the multi-fidelity report.

One run = one task, one seed, one pruner: trials are drawn by a pfnopt sampler (the same configurations in
the same order for every pruner with the same seed), each reports its validation accuracy (a fraction)
after every epoch and asks ``should_prune``; the run stops when ``budget`` epochs have been spent. The
incumbent is the best final-epoch value of the trials that ran all 52 epochs.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np

import pfnopt
from pfnopt.multifidelity.lcbench import EPOCHS, SPACE, LCBench
from pfnopt.space import Float, Int


@dataclass
class RunResult:
    method: str
    task: str
    seed: int
    budget: int
    epochs_used: int = 0
    n_trials: int = 0
    n_complete: int = 0
    incumbent: float = -math.inf
    trajectory: list[tuple[int, float]] = field(default_factory=list)  # (epochs used, incumbent) per improvement
    seconds: float = 0.0

    def incumbent_at(self, epochs: int) -> float:
        """The incumbent once ``epochs`` epochs had been spent (-inf before the first complete trial)."""
        best = -math.inf
        for e, v in self.trajectory:
            if e <= epochs:
                best = v
        return best

    def epochs_to_reach(self, value: float) -> int | None:
        """Epochs spent when the incumbent first reached ``value`` (None if it never did)."""
        return next((e for e, v in self.trajectory if v >= value - 1e-12), None)


def lcbench_space() -> dict:
    return {
        k: (Int(lo, hi, log=log) if integer else Float(lo, hi, log=log))
        for k, (lo, hi, log, integer) in SPACE.items()
    }


def run_search(bench: LCBench, task: str, pruner, method: str, seed: int, budget: int,
               sampler: str = "random") -> RunResult:
    """One pruned search (see the module docstring)."""
    study = pfnopt.create_study(
        study_name=f"lcbench-{task}-{method}-{seed}", direction="maximize",
        sampler=pfnopt.samplers.get_sampler(sampler, seed=seed), pruner=pruner,
    )
    res = RunResult(method, task, seed, budget)
    space = lcbench_space()
    t0 = time.perf_counter()
    while res.epochs_used < budget:
        trial = study.ask(space)
        curve = bench.curves(task, [trial.params])[0] / 100.0
        res.n_trials += 1
        finished, pruned = False, False
        for e in range(EPOCHS):
            if res.epochs_used >= budget:
                break
            trial.report(float(curve[e]), e)
            res.epochs_used += 1
            if e == EPOCHS - 1:
                finished = True
            elif trial.should_prune():
                pruned = True
                break
        if finished:
            study.tell(trial, float(curve[-1]))
            res.n_complete += 1
            if curve[-1] > res.incumbent:
                res.incumbent = float(curve[-1])
                res.trajectory.append((res.epochs_used, res.incumbent))
        else:
            study.tell(trial, state="pruned" if pruned else "fail")
    res.seconds = time.perf_counter() - t0
    return res


def oracle(bench: LCBench, task: str, n: int = 1000, seed: int = 12345) -> float:
    """The best final-epoch validation accuracy (fraction) of ``n`` random configurations: the regret's zero."""
    return float(bench.curves(task, LCBench.random_configs(n, np.random.default_rng(seed)))[:, -1].max() / 100.0)


def run_freeze_thaw(bench: LCBench, task: str, method: str, seed: int, budget: int,
                    sampler: str = "random", **kwargs) -> RunResult:
    """One freeze-thaw search (:class:`pfnopt.multifidelity.FreezeThaw`) at the same epoch budget; the
    incumbent is, as for the pruned searches, the best trial that ran all 52 epochs."""
    from pfnopt.multifidelity.freeze_thaw import FreezeThaw, lcbench_trainer

    study = pfnopt.create_study(
        study_name=f"lcbench-{task}-{method}-{seed}", direction="maximize",
        sampler=pfnopt.samplers.get_sampler(sampler, seed=seed), pruner="none",
    )
    res = RunResult(method, task, seed, budget)
    t0 = time.perf_counter()
    ft = FreezeThaw(study, lcbench_space(), max_epochs=EPOCHS, **kwargs)
    out = ft.run(lcbench_trainer(bench, task), budget)
    ft.close()
    res.epochs_used = out.epochs_used
    res.n_trials = len(study.trials)
    res.n_complete = len(out.completions)
    for epochs, _, value in out.completions:
        if value > res.incumbent:
            res.incumbent = value
            res.trajectory.append((epochs, value))
    res.seconds = time.perf_counter() - t0
    return res
