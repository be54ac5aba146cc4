"""Assemble ``benchmarks/pfn/report.md`` from the JSON results of fidelity.py, speed.py and out_of_prior.py.

.venv/bin/python benchmarks/pfn/make_report.py

With ``--fidelity RESULT.json --out REPORT.md`` it writes only the fidelity and calibration sections of one
fidelity run (e.g. a newer checkpoint's, ``results/fidelity_v2.json`` -> ``fidelity_v2.md``).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
RES = HERE / "results"


def _load(name: str):
    p = RES / name
    return json.loads(p.read_text()) if p.is_file() else None


def _f(v, nd=3):
    return "—" if v is None or (isinstance(v, float) and math.isnan(v)) else f"{v:.{nd}f}"


def fidelity_section(fid) -> list[str]:
    out = ["## 1. Fidelity on held-out GP-prior data sets", ""]
    a = fid["args"]
    out += [
        f"Checkpoint step {fid['checkpoint_step']} ({fid['checkpoint_datasets_seen']:,} data sets seen). "
        f"{a['datasets']} data sets per cell, {a['test_points']} test points each, uniform designs, "
        f"hyperparameters drawn from the GP prior. Mean test NLL in nats per point (lower is better); "
        f"Bayes-optimal = exact GP predictive with the hyperparameters integrated out by importance sampling "
        f"({a['is_samples']} hyperprior draws; ESS = effective sample size, a low ESS makes that column an "
        "over-estimate of the true Bayes-optimal NLL); oracle = the true hyperparameters; fitted GP = BoTorch "
        "SingleTaskGP, maximum likelihood. Differences are paired over the same data sets (± one standard error).",
        "",
    ]
    if not fid.get("complete", True):
        n_cells = len(a["ds"].split(",")) * len(a["ns"].split(","))
        out += [f"**Partial run: {len(fid['cells'])} of {n_cells} cells finished** (the run was interrupted).", ""]
    out += [
        "| d | n | PFN | Bayes-opt. (ESS) | oracle GP | fitted GP | PFN − Bayes | PFN − oracle | PFN − fitted GP |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for c in fid["cells"]:
        bayes = f"{_f(c.get('bayes'))} ({c['ess']:.0f})" if "bayes" in c else "—"

        def diff(ref, c=c):
            k = f"pfn_minus_{ref}"
            return f"{c[k]:+.3f} ± {c[k + '_se']:.3f}" if k in c else "—"

        out.append(
            f"| {c['d']} | {c['n']} | {_f(c['pfn'])} | {bayes} | {_f(c['oracle'])} | {_f(c.get('fitted_gp'))} | "
            f"{diff('bayes')} | {diff('oracle')} | {diff('fitted_gp')} |"
        )
    cells = fid["cells"]
    small = [c for c in cells if c["n"] <= 50 and "pfn_minus_fitted_gp" in c]
    wins = sum(c["pfn_minus_fitted_gp"] < 0 for c in small)
    near = [c for c in cells if "pfn_minus_bayes" in c]
    within = sum(c["pfn_minus_bayes"] <= 0.05 for c in near)
    out += [
        "",
        f"Targets: PFN better than the fitted GP in {wins} of {len(small)} cells with n ≤ 50 (target: all); "
        f"PFN within 0.05 nats of the Bayes-optimal estimate in {within} of {len(near)} cells with d ≤ 5 "
        "(target: all). Mean gap to the oracle over all cells: "
        f"{np.mean([c['pfn_minus_oracle'] for c in cells]):+.3f} nats.",
        "",
    ]
    return out


def calibration_section(fid) -> list[str]:
    out = ["## 3. Calibration (same data sets as section 1)", ""]
    cells = fid["cells"]
    c50 = np.mean([c["cov50"] for c in cells])
    c90 = np.mean([c["cov90"] for c in cells])
    out += [
        f"Coverage of the PFN's central intervals over all {len(cells)} cells: 50% interval {100 * c50:.1f}%, "
        f"90% interval {100 * c90:.1f}% (target: within 3 points of nominal).",
        "",
        "| n | 50% coverage | 90% coverage |",
        "|---|---|---|",
    ]
    for n in sorted({c["n"] for c in cells}):
        cs = [c for c in cells if c["n"] == n]
        out.append(
            f"| {n} | {100 * np.mean([c['cov50'] for c in cs]):.1f}% | {100 * np.mean([c['cov90'] for c in cs]):.1f}% |"
        )
    out.append("")
    return out


def oop_section(oop) -> list[str]:
    out = ["## 2. Out of prior: engineering problems", ""]
    rows = oop["rows"]
    out += [
        f"Checkpoint step {oop['checkpoint_step']}. {len({r['problem'] for r in rows})} engineering problems, "
        f"every output (objective and constraints), random designs, {oop['args']['test_points']} test points, "
        f"{oop['args']['seeds']} seeds. NLL in units of the context's standard deviation; Spearman = rank "
        "correlation of the predictive mean with the truth. Medians are shown because a few outputs "
        '(huge dynamic ranges) dominate means. PFN-power: `y_transform="power"` (Yeo-Johnson per output); '
        "'< GP' = share of (output, seed) cases where the PFN's NLL is lower than the fitted GP's.",
        "",
        "| n | cases | PFN NLL | PFN-power NLL | GP NLL | PFN < GP | PFN-power < GP "
        "| PFN Spearman | PFN-power Spearman | GP Spearman |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for n in sorted({r["n"] for r in rows}):
        rs = [r for r in rows if r["n"] == n]
        pn = np.array([r["pfn_nll"] for r in rs])
        pw = np.array([r.get("pfn_power_nll", np.nan) for r in rs])
        gn = np.array([r["gp_nll"] for r in rs])
        ps = np.array([r["pfn_spearman"] for r in rs], dtype=float)
        pws = np.array([r.get("pfn_power_spearman", np.nan) for r in rs], dtype=float)
        gs = np.array([r["gp_spearman"] for r in rs], dtype=float)
        out.append(
            f"| {n} | {len(rs)} | {np.median(pn):.3f} | {np.median(pw):.3f} | {np.median(gn):.3f} | "
            f"{100 * np.mean(pn < gn):.0f}% | {100 * np.mean(pw < gn):.0f}% | {np.nanmedian(ps):.3f} | "
            f"{np.nanmedian(pws):.3f} | {np.nanmedian(gs):.3f} |"
        )
    out += [
        "",
        "Per problem (both sizes, all outputs and seeds; medians):",
        "",
        "| problem | PFN NLL | PFN-power NLL | GP NLL | PFN Spearman | GP Spearman |",
        "|---|---|---|---|---|---|",
    ]
    for p in sorted({r["problem"] for r in rows}):
        rs = [r for r in rows if r["problem"] == p]
        out.append(
            f"| {p} | {np.median([r['pfn_nll'] for r in rs]):.3f} | "
            f"{np.median([r.get('pfn_power_nll', np.nan) for r in rs]):.3f} | "
            f"{np.median([r['gp_nll'] for r in rs]):.3f} | "
            f"{np.nanmedian([r['pfn_spearman'] for r in rs]):.3f} | {np.nanmedian([r['gp_spearman'] for r in rs]):.3f} |"
        )
    out.append("")
    return out


def _machine_state(sp) -> str:
    return (
        f"other runnable processes at the start and end: {sp['runnable_others_at_start']} and "
        f"{sp['runnable_others_at_end']}; 1-min load average at the end {sp['loadavg_at_end'][0]}"
    )


def speed_section(sp) -> list[str]:
    out = ["## 4. Speed", ""]
    out += [
        f"Checkpoint step {sp['checkpoint_step']}; {sp['threads']} torch threads on a {sp['cpu_count']}-core CPU "
        f"({_machine_state(sp)}; per n, the two are timed in interleaved rounds of one run, "
        f"{sp['repeats']['pfn']} PFN and {sp['repeats']['botorch']} BoTorch "
        "timings). "
        "1 objective + 3 constraints, 2,048 candidates. PFN: one "
        "`pfn.posterior` call plus mean, variance and P(g ≤ 0). BoTorch: fit a SingleTaskGP per output, then the "
        "same statistics. Median seconds.",
        "",
        "| n | d | PFN (s) | BoTorch fit + predict (s) | ratio |",
        "|---|---|---|---|---|",
    ]
    for r in sp["rows"]:
        note = f" ({r['note']})" if "note" in r else ""
        out.append(f"| {r['n']}{note} | {r['d']} | {r['pfn_s']:.4f} | {r['botorch_s']:.3f} | {r['ratio']:.1f}x |")
    out.append("")
    return out


def ensemble_section(en) -> list[str]:
    ks = en["ks"]
    out = ["## 5. Symmetry ensemble (opt-in)", ""]
    out += [
        f"Checkpoint step {en['checkpoint_step']}. `pfn.posterior(..., ensemble=k)` averages the predictive "
        "distributions of k input transforms (column permutations and reflections, under which the GP prior is "
        "invariant; member 1 is the identity). Same data sets as section 1 (the k = 1 column is its PFN column). "
        "Mean test NLL, the paired difference to k = 1 (negative: the ensemble is better) and milliseconds per "
        "posterior call (1 thread, 50 targets).",
        "",
        "| d | n | " + " | ".join(f"NLL k={k}" for k in ks) + " | "
        + " | ".join(f"k={k} − k={ks[0]}" for k in ks[1:]) + " | " + " | ".join(f"ms k={k}" for k in ks) + " |",
        "|---|---|" + "---|" * (3 * len(ks) - 1),
    ]
    for c in en["cells"]:
        nll = " | ".join(f"{c[f'nll_k{k}']:.3f}" for k in ks)
        diff = " | ".join(f"{c[f'diff_k{k}']:+.3f} ± {c[f'diff_k{k}_se']:.3f}" for k in ks[1:])
        ms = " | ".join(f"{c[f'ms_k{k}']:.1f}" for k in ks)
        out.append(f"| {c['d']} | {c['n']} | {nll} | {diff} | {ms} |")
    out.append("")
    return out


def main() -> None:
    fid, oop, sp = _load("fidelity.json"), _load("out_of_prior.json"), _load("speed.json")
    en = _load("ensemble.json")
    lines = [
        "# PFN surrogate: measured",
        "",
        "Every figure below is produced by the scripts in `benchmarks/pfn/` (JSON in `benchmarks/pfn/results/`),",
        "assembled by `make_report.py`. Commands:",
        "",
        "```",
        "OMP_WAIT_POLICY=PASSIVE OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/pfn/fidelity.py",
        "OMP_WAIT_POLICY=PASSIVE OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/pfn/out_of_prior.py",
        "OMP_WAIT_POLICY=PASSIVE OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/pfn/speed.py --threads 2",
        "OMP_WAIT_POLICY=PASSIVE OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/pfn/ensemble.py",
        ".venv/bin/python benchmarks/pfn/make_report.py",
        "```",
        "",
    ]
    if fid:
        a = fid["args"]
        lines += [f"Fidelity run: `fidelity.py --datasets {a['datasets']} --ds {a['ds']}` ({fid['seconds']:.0f} s).", ""]
        lines += fidelity_section(fid)
    if oop:
        lines += oop_section(oop)
    if fid:
        lines += calibration_section(fid)
    if sp:
        lines += speed_section(sp)
    if en:
        lines += ensemble_section(en)
    (HERE / "report.md").write_text("\n".join(lines) + "\n")


def fidelity_only(result: Path, report: Path) -> None:
    fid = json.loads(result.read_text())
    a = fid["args"]
    lines = [
        f"# PFN fidelity and calibration: `{a['checkpoint']}` at step {fid['checkpoint_step']}",
        "",
        f"Written by `benchmarks/pfn/make_report.py --fidelity {result.name}` from the run "
        f"`fidelity.py --checkpoint {a['checkpoint']} --datasets {a['datasets']} --ds {a['ds']} --ns {a['ns']}"
        f"{' --no-fit' if a.get('no_fit') else ''}` ({fid['seconds']:.0f} s). The held-out data sets are draws of the "
        "v1 GP prior (noise variance LogNormal(-4.63, 0.5)): the GP component that prior v2 keeps for its noisy half; "
        "prior v2's deterministic half, mean functions and posynomials are not in them.",
        "",
    ]
    lines += fidelity_section(fid)
    lines += calibration_section(fid)
    report.write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    import argparse

    ap = argparse.ArgumentParser()
    ap.add_argument("--fidelity", type=Path, help="write only this fidelity run's sections")
    ap.add_argument("--out", type=Path)
    args = ap.parse_args()
    if args.fidelity:
        fidelity_only(args.fidelity if args.fidelity.is_file() else RES / args.fidelity,
                      args.out or HERE / (args.fidelity.stem + ".md"))
    else:
        main()
