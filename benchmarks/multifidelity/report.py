"""Turn ``lcbench_pruners.py``'s JSON lines into the committed report (markdown) and figure (PNG).

    python benchmarks/multifidelity/report.py --runs benchmarks/results/multifidelity/runs.jsonl \
        --out benchmarks/results/multifidelity
"""

from __future__ import annotations

import argparse
import json
import math
from collections import defaultdict
from pathlib import Path

import numpy as np

ORDER = ["none", "median", "hyperband", "asha", "curve-pfn"]


def incumbent_at(traj, epochs):
    best = -math.inf
    for e, v in traj:
        if e <= epochs:
            best = v
    return best


def epochs_to_reach(traj, value):
    return next((e for e, v in traj if v >= value - 1e-12), None)


def regret_of(r, epochs=None):
    inc = r["incumbent"] if epochs is None else incumbent_at(r["trajectory"], epochs)
    return r["oracle"] - inc if math.isfinite(inc) else r["oracle"]  # nothing complete: regret = oracle


def versus(by, cells, m, others):
    """Per task (mean over the seeds in ``cells``): wins/ties/losses of ``m`` against each of ``others``."""
    tasks = sorted({t for t, _ in cells}, key=int)
    mean = {o: {t: np.mean([regret_of(by[(t, s)][o]) for (tt, s) in cells if tt == t]) for t in tasks}
            for o in [m, *others]}
    out = {}
    for o in others:
        w = sum(mean[m][t] < mean[o][t] - 1e-9 for t in tasks)
        ti = sum(abs(mean[m][t] - mean[o][t]) <= 1e-9 for t in tasks)
        out[o] = (w, ti, len(tasks))
    return out, mean, tasks


def extra_sections(by, methods, extra, budget):
    """Methods beyond ORDER (a tuned CurvePFN, freeze-thaw), each on the cells where it ran with every method."""
    lines, all_cells = [], []
    for m in extra:
        cells = sorted((k for k, v in by.items() if all(o in v for o in methods + [m])),
                       key=lambda k: (int(k[0]), k[1]))
        if not cells:
            continue
        all_cells = all_cells or cells
        vs, mean, tasks = versus(by, cells, m, methods)
        lines.append(f"| {m} | {len(cells)} ({len(tasks)} tasks) | {100 * np.mean([regret_of(by[k][m]) for k in cells]):.3f} | "
                     + " | ".join(f"{100 * np.mean([regret_of(by[k][o]) for k in cells]):.3f}" for o in methods)
                     + f" | {np.mean([by[k][m]['n_trials'] for k in cells]):.0f} | "
                     + " / ".join(f"{vs[o][0]} ({vs[o][1]})" for o in methods) + f" of {len(tasks)} |")
    if not lines:
        return [], []
    head = ["", "## Tuned CurvePFN and freeze-thaw (random sampling, evaluation seeds)", "",
            "Each method on the cells (task, seed) where it and every method above ran (where fewer than all, "
            "the CPU did not allow more in the time; see the closing note); same configurations, same budget of "
            f"{budget} epochs. `curve-pfn/t=X`: `CurvePFNPruner(max_steps=52, threshold=X)`, X chosen on the tuning "
            "split (section below); `freeze-thaw`: `pfnopt.multifidelity.FreezeThaw(max_epochs=52)` with its "
            "defaults (first chunk 2 epochs, then 1 epoch per decision, stop_below 1e-3, 5 fresh trials first, "
            "fresh estimate `latest`); `/f=first`: the fresh estimate from first-chunk forecasts. A freeze-thaw "
            "search's trials count every configuration it started.", "",
            "| method | cells | its mean regret (points) | " + " | ".join(methods) + " (same cells) | mean trials | "
            "better than " + " / ".join(methods) + " (tasks, ties in brackets) |",
            "|---|---|---|" + "---|" * len(methods) + "---|---|"]
    tail = ["", "Per task (mean over the seeds each ran, accuracy points; `-`: not run):", "",
            "| task | " + " | ".join(methods + extra) + " |", "|---|" + "---|" * len(methods + extra)]
    tasks = sorted({t for (t, _), v in by.items() if any(m in v for m in extra) and all(o in v for o in methods)}, key=int)
    for t in tasks:
        vals = {}
        for m in methods + extra:
            ks = [k for k in by if k[0] == t and m in by[k] and all(o in by[k] for o in methods)]
            ex = [k for k in ks if any(e in by[k] for e in extra)]
            vals[m] = np.mean([regret_of(by[k][m]) for k in ex]) if ex else None
        lo = min(v for v in vals.values() if v is not None)
        tail.append(f"| {t} | " + " | ".join("-" if v is None else (f"**{100 * v:.3f}**" if v <= lo + 1e-9 else f"{100 * v:.3f}")
                                             for v in vals.values()) + " |")
    return head + lines + tail, all_cells


def pfn_summary(by, random_by, ms):
    """PFN vs random sampling per method (same cells), then the methods against each other under PFN sampling.

    ``by`` / ``random_by``: (task, seed) -> method -> run, for the PFN-sampled and the random-sampled searches.
    """
    lines = ["", "PFN vs random sampling, per method on the cells where both ran (accuracy points; "
             "better/tied/worse counts cells, ties within 1e-9):", "",
             "| method | cells | mean regret, PFN sampling | random sampling (same cells) | PFN better / tied / worse | "
             "mean trials, PFN / random |", "|---|---|---|---|---|---|"]
    for m in ms:
        ks = sorted((k for k, v in by.items() if m in v and m in random_by.get(k, {})), key=lambda k: (int(k[0]), k[1]))
        if not ks:
            continue
        p = np.array([regret_of(by[k][m]) for k in ks])
        r = np.array([regret_of(random_by[k][m]) for k in ks])
        better, tied = int((p < r - 1e-9).sum()), int((np.abs(p - r) <= 1e-9).sum())
        lines.append(f"| {m} | {len(ks)} | {100 * p.mean():.3f} | {100 * r.mean():.3f} | {better} / {tied} / "
                     f"{len(ks) - better - tied} | {np.mean([by[k][m]['n_trials'] for k in ks]):.0f} / "
                     f"{np.mean([random_by[k][m]['n_trials'] for k in ks]):.0f} |")
    base = [m for m in ORDER if m in ms]
    full = sorted((k for k, v in by.items() if all(m in v for m in base)), key=lambda k: (int(k[0]), k[1]))
    if "curve-pfn" not in base or len(base) < 2 or not full:
        return lines
    lines += ["", f"The methods against each other under PFN sampling, on the {len(full)} cells where all of "
              f"{', '.join(base)} ran:", "",
              "| method | mean regret (points) | median regret | cells best-or-tied | curve-pfn better / tied / worse |",
              "|---|---|---|---|---|"]
    reg = {m: np.array([regret_of(by[k][m]) for k in full]) for m in base}
    lo = np.min(np.stack(list(reg.values())), axis=0)
    for m in base:
        best = int((reg[m] <= lo + 1e-9).sum())
        cmp = "-"
        if m != "curve-pfn":
            b = int((reg["curve-pfn"] < reg[m] - 1e-9).sum())
            t = int((np.abs(reg["curve-pfn"] - reg[m]) <= 1e-9).sum())
            cmp = f"{b} / {t} / {len(full) - b - t}"
        lines.append(f"| {m} | {100 * reg[m].mean():.3f} | {100 * np.median(reg[m]):.3f} | {best}/{len(full)} | {cmp} |")
    return lines


def pfn_section(pfn_runs, random_by, budget):
    """Searches whose configurations came from pfnopt's PFN sampler (on the cells where they ran)."""
    by = defaultdict(dict)
    for r in pfn_runs:
        by[(r["task"], r["seed"])][r["method"]] = r
    ms = [m for m in ORDER if any(m in v for v in by.values())] + sorted(
        {r["method"] for r in pfn_runs} - set(ORDER))
    lines = ["", "## PFN sampling", "",
             "pfnopt's `pfn` sampler proposes the configurations (it sees the trials each method let finish); "
             f"budget {budget} epochs."]
    lines += pfn_summary(by, random_by, ms)
    lines += ["", "Per cell (task, seed): regret in accuracy points; the random-sampling regret of the same method "
              "and cell in brackets where it ran.", "",
              "| task | seed | " + " | ".join(ms) + " |", "|---|---|" + "---|" * len(ms)]
    for k in sorted(by, key=lambda k: (int(k[0]), k[1])):
        row = []
        for m in ms:
            if m not in by[k]:
                row.append("-")
                continue
            txt = f"{100 * regret_of(by[k][m]):.3f}"
            if m in random_by.get(k, {}):
                txt += f" ({100 * regret_of(random_by[k][m]):.3f})"
            row.append(txt)
        lines.append(f"| {k[0]} | {k[1]} | " + " | ".join(row) + " |")
    secs = {m: np.mean([v[m]["seconds"] for v in by.values() if m in v]) for m in ms}
    loads = [r["load"] for r in pfn_runs]
    lines += ["", "Mean wall seconds per PFN-sampled search: " + ", ".join(f"{m} {secs[m]:.0f}" for m in ms) + "; "
              f"machine load (1-min average) during them: min {min(loads):.1f}, median {np.median(loads):.1f}, "
              f"max {max(loads):.1f}, so seconds from different loads are not comparable."]
    return lines


def tuning_section(tuning_runs):
    """The tuning split: CurvePFN and freeze-thaw variants against Median and Hyperband (never the evaluation
    seeds), each on the cells where it and both baselines ran."""
    by = defaultdict(dict)
    for r in tuning_runs:
        by[(r["task"], r["seed"])][r["method"]] = r
    variants = sorted({r["method"] for r in tuning_runs} - {"median", "hyperband"})
    rows = []
    for v in variants:
        cells = sorted((k for k, x in by.items() if all(m in x for m in (v, "median", "hyperband"))),
                       key=lambda k: (int(k[0]), k[1]))
        if not cells:
            continue
        wm = sum(regret_of(by[k][v]) < regret_of(by[k]["median"]) - 1e-9 for k in cells)
        wh = sum(regret_of(by[k][v]) < regret_of(by[k]["hyperband"]) - 1e-9 for k in cells)
        rows.append(f"| {v} | {', '.join(f'{t}/{s}' for t, s in cells)} | "
                    f"{100 * np.mean([regret_of(by[k][v]) for k in cells]):.3f} | "
                    f"{100 * np.mean([regret_of(by[k]['median']) for k in cells]):.3f} / "
                    f"{100 * np.mean([regret_of(by[k]['hyperband']) for k in cells]):.3f} | {wm} / {wh} of {len(cells)} | "
                    f"{np.mean([by[k][v]['n_trials'] for k in cells]):.0f} |")
    if not rows:
        return []
    return ["", "## Tuning split (settings chosen here)", "",
            "Seed 100 (never an evaluation seed) on the tasks listed per row (task/seed). `curve-pfn/t=X`: "
            "threshold X, other fields at the defaults (top_k 1, min_reports 3, warm-up 2 steps; `/r=2` is "
            "identical to `r=3` here because with a warm-up of 2 steps the first check is at the third report).",
            "", "| variant | cells | mean regret (points) | median / hyperband on the same cells | better than "
            "median / hyperband (cells) | mean trials |", "|---|---|---|---|---|---|", *rows]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=Path, required=True)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--command", default="")
    ap.add_argument("--tuning", type=Path, default=None, help="the tuning split's JSON lines (tuning.jsonl)")
    args = ap.parse_args()
    all_runs = [json.loads(x) for x in args.runs.read_text().splitlines() if x.strip()]
    runs = [r for r in all_runs if r.get("sampler", "random") == "random"]
    by = defaultdict(dict)  # (task, seed) -> method -> run
    for r in runs:
        by[(r["task"], r["seed"])][r["method"]] = r
    methods = [m for m in ORDER if any(m in v for v in by.values())]
    cells = {k: v for k, v in by.items() if all(m in v for m in methods)}  # complete (task, seed) cells only
    tasks = sorted({t for t, _ in cells}, key=lambda t: int(t))
    seeds = sorted({s for _, s in cells})
    budget = runs[0]["budget"]

    def regret(r, epochs=None):
        inc = r["incumbent"] if epochs is None else incumbent_at(r["trajectory"], epochs)
        return r["oracle"] - inc if math.isfinite(inc) else r["oracle"]  # nothing complete: regret = oracle

    reg = {m: {t: [regret(cells[(t, s)][m]) for s in seeds if (t, s) in cells] for t in tasks} for m in methods}
    mean = {m: {t: float(np.mean(v)) for t, v in reg[m].items()} for m in methods}
    # epochs each method needs to reach no-pruning's final incumbent (same configurations, same order)
    speed = defaultdict(list)
    for c in cells.values():
        target = c["none"]["incumbent"]
        for m in methods:
            e = epochs_to_reach(c[m]["trajectory"], target)
            speed[m].append(budget / e if e else 0.0)
    lines = [
        "# Pruners on LCBench at equal total epochs",
        "",
        f"{len(tasks)} LCBench tasks x {len(seeds)} seeds ({', '.join(map(str, seeds))}; "
        f"{sum(all((t, s) in cells for s in seeds) for t in tasks)} tasks with every seed, the others with the "
        "seeds listed per task below), random sampling (pfnopt's "
        f"`random` sampler: every method sees the same configurations in the same order), budget {budget} epochs "
        f"(= {budget // 52} full 52-epoch runs) per search, maximising validation accuracy (fraction). Regret = best "
        f"final accuracy of {runs[0].get('oracle_n', 1000):,} random configurations of the task minus the search's incumbent (best trial that ran "
        "all 52 epochs; negative where a search beat that reference). Pruners: `MedianPruner()` (Optuna's defaults), `HyperbandPruner(1, 52, 3)`, "
        "`SuccessiveHalvingPruner(1, 4)` (ASHA), `CurvePFNPruner(max_steps=52, threshold=0.05)` with the shipped "
        "curve PFN.",
        "",
        "## Summary",
        "",
        "| method | mean regret (acc. points) | median regret | tasks best-or-tied | mean trials per search | "
        "median speed-up to no-pruning's final quality | reached it (cells) |",
        "|---|---|---|---|---|---|---|",
    ]
    for m in methods:
        mr = [mean[m][t] for t in tasks]
        best_or_tied = sum(mean[m][t] <= min(mean[o][t] for o in methods) + 1e-9 for t in tasks)
        ntr = np.mean([cells[k][m]["n_trials"] for k in cells])
        sp = np.asarray(speed[m])
        reached = int((sp > 0).sum())
        med_sp = float(np.median(sp)) if len(sp) else float("nan")
        lines.append(f"| {m} | {100 * np.mean(mr):.3f} | {100 * np.median(mr):.3f} | {best_or_tied}/{len(tasks)} | "
                     f"{ntr:.0f} | {med_sp:.2f}x | {reached}/{len(sp)} |")
    if "curve-pfn" in methods:
        cp = mean["curve-pfn"]
        lines += ["", "## Targets", ""]
        # 1: final quality of no pruning within the seed noise, with >= 3x fewer epochs
        third = budget // 3
        at_third = {t: float(np.mean([regret(cells[(t, s)]["curve-pfn"], third) for s in seeds if (t, s) in cells]))
                    for t in tasks}
        noise = {t: float(np.std(reg["none"][t], ddof=1) / math.sqrt(len(reg["none"][t]))) if len(reg["none"][t]) > 1
                 else 0.0 for t in tasks}
        ok_full = sum(cp[t] <= mean["none"][t] + 2 * noise[t] for t in tasks)
        ok_third = sum(at_third[t] <= mean["none"][t] + 2 * noise[t] for t in tasks)
        lines.append(
            f"- CurvePFN at the full budget: mean regret within 2 standard errors (over seeds) of no pruning's, or "
            f"better, on {ok_full}/{len(tasks)} tasks; mean regret {100 * np.mean(list(cp.values())):.3f} vs "
            f"{100 * np.mean(list(mean['none'].values())):.3f} points."
        )
        lines.append(
            f"- CurvePFN with a third of the epochs ({third}) vs no pruning with all {budget}: within 2 standard "
            f"errors or better on {ok_third}/{len(tasks)} tasks; mean regret {100 * np.mean(list(at_third.values())):.3f}"
            f" vs {100 * np.mean(list(mean['none'].values())):.3f} points. Median speed-up to no-pruning's final "
            f"incumbent: {np.median(speed['curve-pfn']):.2f}x (target: 3x)."
        )
        for other in ("median", "hyperband", "asha"):
            if other in methods:
                wins = sum(cp[t] < mean[other][t] - 1e-9 for t in tasks)
                ties = sum(abs(cp[t] - mean[other][t]) <= 1e-9 for t in tasks)
                lines.append(f"- CurvePFN better than {other} at equal epochs on {wins}/{len(tasks)} tasks "
                             f"({100 * wins / len(tasks):.0f} %; {ties} ties; target 70 % for median and hyperband).")
    lines += ["", "## Per task: mean regret over seeds (accuracy points)", "",
              "| task | " + " | ".join(methods) + " |", "|---|" + "---|" * len(methods)]
    for t in tasks:
        lo = min(mean[m][t] for m in methods)
        cells_txt = [(f"**{100 * mean[m][t]:.3f}**" if mean[m][t] <= lo + 1e-9 else f"{100 * mean[m][t]:.3f}")
                     for m in methods]
        lines.append(f"| {t} | " + " | ".join(cells_txt) + " |")
    lines += ["", "## Per task: epochs each method spent before its incumbent reached no-pruning's final incumbent",
              "", "Per seed (" + ", ".join(map(str, seeds)) + "); `-`: never within the budget of "
              f"{budget} epochs. For `none` itself: the epoch of its last improvement.", "",
              "| task | " + " | ".join(methods) + " |", "|---|" + "---|" * len(methods)]
    for t in tasks:
        row = []
        for m in methods:
            es = []
            for s in seeds:
                if (t, s) in cells:
                    e = epochs_to_reach(cells[(t, s)][m]["trajectory"], cells[(t, s)]["none"]["incumbent"])
                    es.append(str(e) if e else "-")
            row.append(" / ".join(es))
        lines.append(f"| {t} | " + " | ".join(row) + " |")
    loads = [r["load"] for r in runs]
    secs = {m: np.mean([cells[k][m]["seconds"] for k in cells]) for m in methods}
    lines += [
        "",
        "Epochs used: every search spends exactly its budget (" + str(budget) + " epochs); "
        "the speed-up column is budget / epochs a method needed before its incumbent first reached no-pruning's "
        "final incumbent in the same cell (0 where it never did, counted in the median); for `none` itself it is budget / "
        "the epoch of its last improvement.",
        "",
        "Mean wall seconds per search: " + ", ".join(f"{m} {secs[m]:.1f}" for m in methods) + ".",
        f"Machine load (1-min average, 2 cores shared with other jobs) during the runs: min {min(loads):.1f}, "
        f"median {np.median(loads):.1f}, max {max(loads):.1f}.",
        "",
        "![regret vs epochs](lcbench_pruners.png)",
        "",
        f"Command: `{args.command}`" if args.command else "",
        "",
    ]
    extra = sorted({r["method"] for r in runs} - set(ORDER))
    extra_lines, _ = extra_sections(by, methods, extra, budget)
    extra_cells = [k for k, v in by.items() if all(m in v for m in methods + extra)] if extra else []
    lines[-3:-3] = extra_lines
    pfn_runs = [r for r in all_runs if r.get("sampler") == "pfn"]
    if pfn_runs:
        lines[-3:-3] = pfn_section(pfn_runs, by, budget)
    if args.tuning is not None and args.tuning.is_file():
        lines[-3:-3] = tuning_section([json.loads(x) for x in args.tuning.read_text().splitlines() if x.strip()])
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "lcbench_pruners.md").write_text("\n".join(lines))

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax1, ax2, ax3) = plt.subplots(1, 3, figsize=(18, 4.5))
    grid = np.linspace(52, budget, 60).astype(int)
    for m in methods:
        curve = [np.mean([regret(cells[k][m], e) for k in cells]) for e in grid]
        ax1.plot(grid, 100 * np.asarray(curve), label=m)
    ax1.set_yscale("log")
    ax1.set_xlabel("epochs spent")
    ax1.set_ylabel("mean regret (accuracy points, log)")
    ax1.set_title(f"LCBench, {len(tasks)} tasks x {len(seeds)} seeds")
    ax1.legend()
    x = np.arange(len(tasks))
    w = 0.8 / len(methods)
    for i, m in enumerate(methods):
        ax2.bar(x + i * w, [100 * mean[m][t] for t in tasks], w, label=m)
    ax2.set_xticks(x + 0.4, tasks, rotation=90, fontsize=6)
    ax2.set_ylabel("mean regret at the budget (points)")
    ax2.set_yscale("symlog", linthresh=0.1)
    ax2.set_title("per task, at equal epochs")
    if extra_cells:
        ms = methods + extra
        for m in ms:
            curve = [np.mean([regret(by[k][m], e) for k in extra_cells]) for e in grid]
            ax3.plot(grid, 100 * np.asarray(curve), label=m, ls="--" if m in extra else "-")
        ax3.set_yscale("log")
        ax3.set_xlabel("epochs spent")
        ax3.set_title(f"cells with every method ({len(extra_cells)})")
        ax3.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(args.out / "lcbench_pruners.png", dpi=90)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
