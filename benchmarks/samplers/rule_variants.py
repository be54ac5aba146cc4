"""Ablation: alternatives to the PFN sampler's rule 3 (local box, standardised outputs) on the engineering suite.

Each variant runs ``pfn-cei`` on the same cells as the committed engineering run (same problems, seeds,
shared 20-point Sobol design, 100 evaluations) and is compared with those committed rule-3 cells and with
gp-cei, optuna-tpe and random from the same folder. Variants:

* ``minpts``: the box grows to hold at least ``max(20, 2d + 1)`` trials (rule 3: ``max(5, d + 1)``), so the
  PFN sees more context in high dimensions;
* ``globalctx``: candidates still in the box, but the context is every trial in the whole cube;
* ``grow``: TuRBO-like expansion: half-width 0.5 while at least 2 of the last ``d`` suggestions improved the
  incumbent and the latest did (rule 3: 0.25 until a stall halves it);
* ``power``: the PFN's opt-in Yeo-Johnson output transform (``y_transform="power"``) on every output;
* ``bilog``: constraint values through ``sign(c) log(1 + |c|)`` before the PFN sees them (SCBO's transform:
  increasing and zero at zero, so P(c <= 0) keeps its meaning while violations over orders of magnitude are
  compressed);
* ``trend``: a linear trend per output, fitted by least squares to the context (in the box's coordinates)
  when it holds at least ``2 (d + 1)`` points, is subtracted before the PFN sees the values and added back
  to the posterior (``trend="linear"``, :mod:`pfnopt.surrogate.trend`); adopted for cei and cei+ (rules 4-5), so the
  ``rule3`` runner and the other variants pass ``trend="none"``;
* ``rule3``: rule 3 itself, run by this script, for seeds beyond the committed ones (``--seeds 5,6,7,8,9``), so
  that a variant can be compared on fresh seeds too (second table of the report).

Resumable (one JSON line per finished cell in ``--out-dir/<variant>.jsonl``); the report is rewritten from
those lines:

    OMP_WAIT_POLICY=PASSIVE OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 .venv/bin/python \\
        benchmarks/samplers/rule_variants.py --variant grow
    .venv/bin/python benchmarks/samplers/rule_variants.py --report

Why the committed cells can serve as the rule-3 column: they ran the same rule on the same designs; BO
trajectories are chaotic (a 1e-6 change in a posterior changes later suggestions), so even a rerun of
rule 3 differs cell by cell, and only medians over seeds are compared.
"""

from __future__ import annotations

import argparse
import dataclasses
import glob
import json
import logging
import math
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
CELLS = HERE.parent / "results" / "engineering" / "cells"
VARIANTS = ("minpts", "globalctx", "grow", "power", "bilog", "trend")
PROBLEMS = (
    "cantilever_beam,speed_reducer,pressure_vessel,car_side_impact,heat_exchanger,tension_compression_spring,"
    "welded_beam,three_bar_truss,reinforced_concrete_beam,gkxwc2,jlh2,ackley_10d,ackley_2d"
)


def make_sampler(variant: str, seed: int):
    """The variant as constructor arguments: region strategies (pfnopt.samplers.trust_region) instead of
    overrides; only ``bilog`` (a transform of the constraint data) still subclasses the sampler."""
    from pfnopt.samplers import trust_region as tr
    from pfnopt.samplers.pfn import PFNSampler

    @dataclasses.dataclass(frozen=True)
    class Grow(tr.TrustRegion):
        """Opens the box to 0.5 after two improvements within the last d trials."""

        def choose(self, obs, space, centre, n_startup):
            improved = tr.improvements(obs, n_startup)
            if sum(improved[-space.dim :]) >= 2 and tr.stalled_trials(obs, n_startup) == 0:
                free = space.categorical_columns()
                box = tr.local_box(obs.X, obs.X[centre], 0.5, free, max(5, space.dim + 1))
                return tr.Region(box, box.expanded(self.context_pad, free), 0.5)
            return super().choose(obs, space, centre, n_startup)

    class BiLog(PFNSampler):
        def _suggest(self, obs, space, number, n_startup):
            obs = dataclasses.replace(obs, C=np.sign(obs.C) * np.log1p(np.abs(obs.C))) if obs.m else obs
            return super()._suggest(obs, space, number, n_startup)

    regions = {
        "minpts": tr.TrustRegion(min_points=20, min_points_per_dim=2),
        "grow": Grow(),
        "globalctx": tr.TrustRegion(context_pad=None),  # read the context from the whole cube
    }
    cls = BiLog if variant == "bilog" else PFNSampler
    # every variant is a change of rule 3, which has no trend; "trend" is rule 3 plus it (= rules 4-5 for cei)
    sampler = cls(seed=seed, constraints="cei", n_startup=20, trend="linear" if variant == "trend" else "none",
                  region=regions.get(variant))
    if variant == "power":
        sampler.pfn.y_transform = "power"  # a research option of the surrogate (pfnopt/surrogate/pfn.py)
    return sampler


def run(variant: str, problems: list[str], seeds: list[int], out_dir: Path) -> None:
    import pfnopt
    from pfnopt import problems as registry
    from pfnopt.bench.cells import shared_design

    logging.disable(logging.WARNING)
    out = out_dir / f"{variant}.jsonl"
    done = {(r["problem"], r["seed"]) for r in _lines(out)}
    for name in problems:
        p = registry.get(name)
        for seed in seeds:
            if (name, seed) in done:
                continue
            study = pfnopt.create_study(sampler=make_sampler(variant, seed))
            for params in shared_design(p, 20, seed):
                study.enqueue_trial(params)
            study.optimize(p.objective, n_trials=100)
            feasible = [t.values[0] for t in study.trials if t.values and all(c <= 0 for c in t.constraints or [])]
            rec = {"problem": name, "seed": seed, "gap": min(feasible, default=math.inf) - p.optimum}
            with out.open("a") as f:
                f.write(json.dumps(rec) + "\n")
            print(rec, flush=True)


def _lines(path: Path) -> list[dict]:
    return [json.loads(s) for s in path.read_text().splitlines() if s.strip()] if path.is_file() else []


def _committed(problem: str, method: str) -> dict[int, float]:
    out = {}
    for f in glob.glob(str(CELLS / problem / method / "seed*.json")):
        d = json.loads(Path(f).read_text())
        out[d["seed"]] = math.inf if d["final_gap"] is None else d["final_gap"]
    return out


def report(out_dir: Path) -> None:
    rows = {v: {} for v in VARIANTS}
    for v in VARIANTS:
        for r in _lines(out_dir / f"{v}.jsonl"):
            rows[v].setdefault(r["problem"], {})[r["seed"]] = r["gap"]
    problems = sorted({p for v in VARIANTS for p in rows[v]})
    refs = ("pfn-cei", "gp-cei", "optuna-tpe")
    lines = [
        "# PFN sampler: rule variants (ablation)",
        "",
        "Written by `benchmarks/samplers/rule_variants.py --report` (see its docstring for the variants and the",
        "commands). Median final gap over the seeds every column has; rule 3 = the committed engineering cells",
        "(`benchmarks/results/engineering/`). Lower is better; bold: better than rule 3.",
        "",
        "| problem | seeds | rule 3 | " + " | ".join(VARIANTS) + " | gp-cei | optuna-tpe |",
        "|---|---|---|" + "---|" * (len(VARIANTS) + 2),
    ]
    better = dict.fromkeys(VARIANTS, 0)
    for p in problems:
        ref = {m: _committed(p, m) for m in refs}
        seeds = sorted(set(ref["pfn-cei"]).intersection(*[set(rows[v].get(p, {})) for v in VARIANTS]))
        if not seeds:
            continue
        med = {m: float(np.median([ref[m][s] for s in seeds])) for m in refs}
        cols = []
        for v in VARIANTS:
            mv = float(np.median([rows[v][p][s] for s in seeds]))
            better[v] += mv < med["pfn-cei"]
            cols.append(f"**{mv:.4g}**" if mv < med["pfn-cei"] else f"{mv:.4g}")
        lines.append(
            f"| {p} | {len(seeds)} | {med['pfn-cei']:.4g} | " + " | ".join(cols)
            + f" | {med['gp-cei']:.4g} | {med['optuna-tpe']:.4g} |"
        )
    n = len(problems)
    lines += ["", "Problems on which the variant's median beats rule 3: "
              + ", ".join(f"{v} {better[v]} of {n}" for v in VARIANTS) + ".", ""]
    lines += _fresh_seeds(out_dir, rows)
    (HERE / "rule_variants.md").write_text("\n".join(lines))


def _fresh_seeds(out_dir: Path, rows: dict) -> list[str]:
    """Second table: each variant vs rule 3 run by this script, on the seeds both have (e.g. 5-9)."""
    base = {}
    for r in _lines(out_dir / "rule3.jsonl"):
        base.setdefault(r["problem"], {})[r["seed"]] = r["gap"]
    if not base:
        return []
    out = ["## Fresh seeds: rule 3 and the variants run side by side by this script", "",
           "| problem | variant | seeds | rule 3 | variant |", "|---|---|---|---|---|"]
    better: dict[str, list[int]] = {}
    for v in VARIANTS:
        for p in sorted(base):
            seeds = sorted(set(base[p]) & set(rows[v].get(p, {})))
            if not seeds:
                continue
            a = float(np.median([base[p][s] for s in seeds]))
            b = float(np.median([rows[v][p][s] for s in seeds]))
            better.setdefault(v, [0, 0])
            better[v][0] += b < a
            better[v][1] += 1
            out.append(f"| {p} | {v} | {len(seeds)} | {a:.4g} | {'**' if b < a else ''}{b:.4g}{'**' if b < a else ''} |")
    out += ["", "Problems on which the variant's median beats rule 3 here: "
            + ", ".join(f"{v} {k} of {n}" for v, (k, n) in better.items()) + ".", ""]
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--variant", choices=VARIANTS + ("rule3",))
    ap.add_argument("--problems", default=PROBLEMS)
    ap.add_argument("--seeds", default="0,1,2,3,4")
    ap.add_argument("--out-dir", default=str(HERE / "rule_variants"))
    ap.add_argument("--report", action="store_true")
    args = ap.parse_args()
    out_dir = Path(args.out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    if args.variant:
        run(args.variant, args.problems.split(","), [int(s) for s in args.seeds.split(",")], out_dir)
    report(out_dir)


if __name__ == "__main__":
    main()
