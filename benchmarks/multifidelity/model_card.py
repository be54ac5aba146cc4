"""Write pfnopt/surrogate/checkpoints/curve/README.md (the model card) from the checkpoint's config.json:
    python benchmarks/multifidelity/model_card.py
"""
import json
import sys
from pathlib import Path

from safetensors.torch import load_file

d = Path("pfnopt/surrogate/checkpoints/curve")
r = json.loads((d / "config.json").read_text())
n_params = sum(v.numel() for k, v in load_file(str(d / "model.safetensors")).items() if not k.endswith("borders"))
t = r["train"]
m = r["model"]
hist = r["history"]
load = sys.argv[1] if len(sys.argv) > 1 else "?"
lines = [
"# Curve PFN: model card",
"",
"A `PFNTransformer` (`pfnopt/surrogate/model.py`) trained with `pfnopt/surrogate/train.py` (preset `curve`) on",
"`CurvePrior` (`pfnopt/surrogate/priors/curves.py`): one data set is one learning curve; the context is the",
"observed prefix (epochs 1..n), targets are later epochs (a quarter of them the last epoch). Inputs",
"`(t / T, log t / log T)` for a run of `T` epochs; values standardised by the prefix's mean and standard",
"deviation (the model's contract); output: a bar distribution. Used by `pfnopt.surrogate.curve.CurvePFN` and",
"`pfnopt.pruners.CurvePFNPruner`. Loaded without pickle (safetensors + this folder's `config.json`, whose",
"SHA-256 of the weights is checked).",
"",
f"- Architecture: d_max {m['d_max']}, n_max {m['n_max']} (longer prefixes are thinned evenly), width {m['emsize']}, "
f"{m['n_layer']} layers, {m['n_head']} heads, {m['n_buckets']} buckets; {n_params:,} parameters; fp32 weights "
f"({(d / 'model.safetensors').stat().st_size / 1e6:.2f} MB).",
f"- Prior: `{json.dumps(r['prior'])}` -- families power law, exponential, log-power, Janoschek and mixtures of two;",
"  plateaus, divergence/overfitting, dead runs, Gaussian noise (0.1-5 % of the curve's range) with occasional",
"  spikes; half losses (minimised), half accuracies in [0, 1] (maximised); horizons 10-120 epochs.",
f"- Training: all {t['steps']} planned steps ran (about 38 minutes wall); shipped is the best validation checkpoint,",
f"  step {r['step']}, after {r['datasets_seen']:,} curves seen (each sampled fresh), {r['train_seconds']} s of training on",
f"  {r['device']}, 1 thread at `nice -n 19` on a 2-core machine shared with other jobs (1-minute load average",
f"  between 6 and 33 during the run, read with uptime), seed {r['seed']}, tokens per batch {t['tokens_per_batch']}, {t['n_targets']} targets per curve, lr {t['lr']}.",
"- Validation (held-out prior curves, NLL of the standardised targets by prefix length): "
+ ", ".join(f"n={k}: {v}" for k, v in r.get("val_nll_by_n", {}).items()) + f"; best mean {r['best_val_nll']:.4f}.",
f"- Code: {r['code_version']}.",
"- Command (resumable; rerun the same line to continue):",
"",
"      OMP_NUM_THREADS=1 nice -n 19 pfnopt pretrain --preset curve --out runs/curve-pfn \\",
"          --export pfnopt/surrogate/checkpoints/curve --resume --threads 1 --max-minutes 38 --steps 6000",
"",
"- Fidelity (held-out prior curves and LCBench curves): `benchmarks/results/multifidelity/curve_fidelity.md`;",
"  pruning on LCBench: `benchmarks/results/multifidelity/lcbench_pruners.md`.",
"- Not trained for: configuration features (the freeze-thaw variant), horizons beyond 120 epochs, prefixes",
"  shorter than 3 epochs (the pruner never asks before 3 reports).",
"",
]
(d / "README.md").write_text("\n".join(lines))
print("\n".join(lines))
