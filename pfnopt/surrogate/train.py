"""Pre-training: the resumable loop (its config dataclass and named presets: :mod:`pfnopt.surrogate.presets`).

Every step samples a fresh batch from the prior (no data set is seen twice), standardises ``y`` with the
context statistics (``model.standardize``, as inference does) and minimises the bar-distribution NLL of
the targets. What makes a CPU-second count:

- a curriculum on the context size: the largest context grows from ``n_start`` to ``n_max`` over the first
  ``curriculum_frac`` of the steps, and each step draws its context size (half log-uniform, half uniform)
  and fills a fixed token budget, so short contexts give big batches of short sequences;
- vectorised batched GP sampling (one Cholesky per hyperparameter draw, shared by several data sets);
- AdamW with linear warm-up and cosine decay; bf16 autocast and optional ``torch.compile`` on CUDA.

Exact-target training (``exact_targets=True``, prior v2's default): for data sets whose prior has a closed-form
predictive given the draw's hyperparameters (the GP priors, ``Batch.extras["target_mean"/"target_std"]``), the
loss is the cross-entropy of the bar head against that Gaussian's mass per bucket instead of the NLL of one
sampled target. Both have the same minimiser (the posterior predictive) and the exact one has lower gradient
variance; other data sets keep the sampled target. ``init_from`` warm-starts a run from a checkpoint of the
same architecture; with ``refine_pieces`` its head is refined to finer buckets exactly (``bar.refine_borders``).

The run directory holds ``latest/`` (weights + optimizer + RNG state, written every ``checkpoint_every`` steps
and on interruption) and ``best/`` (lowest validation NLL on held-out GP data sets); ``export_dir`` receives a
copy of ``best/`` (weights only) whenever it improves. ``resume=True`` continues ``latest/`` exactly.
"""

from __future__ import annotations

import logging
import math
import shutil
import signal
import time
from collections.abc import Callable
from pathlib import Path

import torch

from pfnopt.surrogate import bar
from pfnopt.surrogate.checkpoint import (
    CONFIG,
    WEIGHTS,
    code_version,
    load_checkpoint,
    load_train_state,
    read_config,
    save_checkpoint,
)
from pfnopt.surrogate.errors import CheckpointError
from pfnopt.surrogate.model import PFNTransformer, standardize
from pfnopt.surrogate.presets import TrainConfig
from pfnopt.surrogate.priors import GPPrior, make_prior

logger = logging.getLogger(__name__)


def resolve_device(device: str) -> torch.device:
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise ValueError(f"device={device!r} requested but CUDA is not available; use 'cpu' or 'auto'")
    if not (device == "cpu" or device.startswith("cuda")):
        raise ValueError(f"device={device!r} is not allowed; allowed: 'auto', 'cpu', 'cuda', 'cuda:N'")
    return torch.device(device)


def lr_at(cfg: TrainConfig, step: int) -> float:
    if step < cfg.warmup:
        return cfg.lr * (step + 1) / cfg.warmup
    t = min(1.0, (step - cfg.warmup) / max(1, cfg.steps - cfg.warmup))
    return cfg.lr * (cfg.min_lr_frac + (1 - cfg.min_lr_frac) * 0.5 * (1 + math.cos(math.pi * t)))


def draw_n_ctx(cfg: TrainConfig, step: int, gen: torch.Generator) -> int:
    """Context size of one step: the curriculum's ceiling, then half log-uniform, half uniform in ``n_min..``."""
    n_max, lo = cfg.model.n_max, cfg.n_min
    grow = min(1.0, step / max(1.0, cfg.curriculum_frac * cfg.steps))
    n_hi = max(lo, int(round(cfg.n_start + (n_max - cfg.n_start) * grow)))
    u = torch.rand(2, generator=gen).tolist()
    if u[0] < 0.5:
        n = int(math.exp(math.log(lo) + u[1] * (math.log(n_hi + 1) - math.log(lo))))
    else:
        n = lo + int(u[1] * (n_hi - lo + 1))
    return max(lo, min(n_hi, n))


def batch_size_for(cfg: TrainConfig, n_ctx: int) -> int:
    return max(cfg.min_batch, min(cfg.max_batch, cfg.tokens_per_batch // (n_ctx + cfg.n_targets)))


def normalized_batch(prior, b: int, n_ctx: int, n_tgt: int, d_max: int, gen, device, d=None):
    """Sample and standardise: returns ``x`` ``b x N x D``, ``y_ctx`` ``b x n``, ``y_tgt`` ``b x q``, ``d`` ``b``."""
    extra = {"n_ctx": n_ctx} if getattr(prior, "uses_n_ctx", False) else {}  # curves: context = observed prefix
    batch = prior.sample(b, n_ctx + n_tgt, d_max, gen, device, d=d, **extra)
    loc, scale = standardize(batch.y[:, :n_ctx])
    y = (batch.y - loc) / scale
    return batch.x, y[:, :n_ctx], y[:, n_ctx:], batch.d


def exact_batch(prior, b: int, n_ctx: int, n_tgt: int, d_max: int, gen, device):
    """As ``normalized_batch``, plus the targets' exact predictive (standardised like ``y``): returns ``x``,
    ``y_ctx``, ``y_tgt``, ``d``, ``t_mean`` ``b x q`` and ``t_std`` ``b x q`` (NaN rows: no closed form)."""
    batch = prior.sample(b, n_ctx + n_tgt, d_max, gen, device, n_ctx=n_ctx)
    loc, scale = standardize(batch.y[:, :n_ctx])
    y = (batch.y - loc) / scale
    nan = torch.full_like(y[:, n_ctx:], float("nan"))
    t_mean = (batch.extras.get("target_mean", nan) - loc) / scale
    t_std = batch.extras.get("target_std", nan) / scale
    return batch.x, y[:, :n_ctx], y[:, n_ctx:], batch.d, t_mean, t_std


def exact_target_loss(logits: torch.Tensor, borders: torch.Tensor, y_tgt, t_mean, t_std) -> tuple:
    """Mean loss of a batch: cross-entropy against the exact predictive's bucket masses where ``t_mean`` is
    finite, the bar NLL of the sampled target elsewhere. Returns ``(loss, loss_on_nll_scale)``; the second
    adds the masses' expected log-width so it reads like a sampled-target NLL (for the log, no gradient)."""
    logits = logits.float()
    exact = torch.isfinite(t_mean) & torch.isfinite(t_std)
    sampled = bar.nll(logits, borders, y_tgt.float())  # b x q
    if not bool(exact.any()):
        return sampled.mean(), sampled.mean().detach()
    mu = torch.where(exact, t_mean, torch.zeros_like(t_mean)).float()
    sd = torch.where(exact, t_std, torch.ones_like(t_std)).float()
    masses = bar.gaussian_bucket_masses(mu, sd, borders)  # b x q x K
    ce = bar.cross_entropy(logits, masses)
    per = torch.where(exact, ce, sampled)
    with torch.no_grad():
        as_nll = torch.where(exact, ce + bar.expected_log_width(masses, borders), sampled).mean()
    return per.mean(), as_nll


def warm_start(model: PFNTransformer, cfg: TrainConfig, device) -> None:
    """Copy ``cfg.init_from``'s weights into ``model`` so that the warm-started model predicts exactly what the
    source did. The architectures may differ in three ways only: the number of buckets (the head is refined by
    ``cfg.refine_pieces``); the depth, when ``model`` has MORE blocks than the source: the source's blocks
    are copied into the first ones and each new block starts as the identity (the output projections of its
    attention and of its MLP are zero, so its residual branches add nothing until training moves them); and
    neighbour features added to a source without them (their encoder's last layer starts at zero)."""
    from pfnopt.surrogate.pfn import DEFAULT_CHECKPOINT

    packaged = DEFAULT_CHECKPOINT.parent / cfg.init_from
    src = packaged if "/" not in cfg.init_from and packaged.is_dir() else Path(cfg.init_from)
    old, _ = load_checkpoint(src, device)
    free = ("n_buckets", "n_layer", "nn_features")
    same = {k: v for k, v in old.cfg.to_dict().items() if k not in free}
    mine = {k: v for k, v in cfg.model.to_dict().items() if k not in free}
    grows = old.cfg.nn_features in (0, cfg.model.nn_features)
    if same != mine or old.cfg.n_layer > cfg.model.n_layer or not grows:
        raise CheckpointError(
            f"init_from={str(src)!r}: its architecture {old.cfg.to_dict()} differs from the preset's "
            f"{cfg.model.to_dict()} in more than the number of buckets, added blocks and added neighbour features"
        )
    b_old = old.borders.detach().cpu()
    mids = 0.5 * (b_old[1:] + b_old[:-1])
    inner, outer = cfg.refine_pieces
    pieces = torch.where(mids.abs() <= 1.5, inner, outer).long()
    pieces[0] = pieces[-1] = 1
    borders, parent, log_share = bar.refine_borders(b_old, pieces)
    if borders.numel() - 1 != cfg.model.n_buckets:
        raise CheckpointError(
            f"init_from={str(src)!r} with refine_pieces={cfg.refine_pieces} gives {borders.numel() - 1} buckets, "
            f"the preset has n_buckets={cfg.model.n_buckets}"
        )
    state = old.state_dict()
    w, bias = state.pop("head.out.weight"), state.pop("head.out.bias")
    state.pop("head.borders")
    state["head.out.weight"] = w[parent.to(w.device)]
    state["head.out.bias"] = bias[parent.to(bias.device)] + log_share.to(bias.device)
    state["head.borders"] = borders.to(device)
    for i in range(old.cfg.n_layer, cfg.model.n_layer):  # the added blocks: their own init, then the identity
        for name, value in model.blocks[i].state_dict().items():
            zero = name.startswith(("attn.proj.", "mlp.proj."))
            state[f"blocks.{i}.{name}"] = torch.zeros_like(value) if zero else value.clone()
    for name, value in model.state_dict().items():  # an added neighbour encoder: its own init (last layer zero)
        if name.startswith("neighbours.") and name not in state:
            state[name] = value.clone()
    model.load_state_dict(state)


def compute_borders(cfg: TrainConfig, prior, gen: torch.Generator, device) -> torch.Tensor:
    """Equal-mass borders from standardised prior targets, over the context sizes training will use."""
    vals, total, step = [], 0, 0
    while total < cfg.border_samples:
        n_ctx = draw_n_ctx(cfg, cfg.steps, gen)  # the full curriculum
        _, _, y_tgt, _ = normalized_batch(prior, 64, n_ctx, cfg.n_targets, cfg.model.d_max, gen, device)
        vals.append(y_tgt.flatten().cpu())
        total += y_tgt.numel()
        step += 1
    return bar.equal_mass_borders(torch.cat(vals), cfg.model.n_buckets)


def validation_set(cfg: TrainConfig, device) -> list[tuple]:
    """Held-out data sets (fixed seed) at context sizes 5, 20, 50, 100, 200 (capped at ``n_max``), from
    ``cfg.val_prior`` (default: the v1 GP prior)."""
    gen = torch.Generator(device=device).manual_seed(cfg.seed + 1_000_003)
    prior = GPPrior() if cfg.val_prior is None else make_prior(cfg.val_prior)
    out = []
    for n in (5, 20, 50, 100, 200):
        n = min(n, cfg.model.n_max)
        out.append((n, *normalized_batch(prior, cfg.val_per_n, n, 64, cfg.model.d_max, gen, device)))
    return out


@torch.no_grad()
def evaluate(model: PFNTransformer, val: list[tuple]) -> dict[int, float]:
    """Mean NLL per context size. Targets are clipped as in training (at 3x the outermost border): heavy-tailed
    priors (posynomials standardised on 5 points) put a few targets at 50+ context standard deviations, whose
    half-normal tail NLL of 1e3 nats would otherwise decide the mean alone."""
    model.eval()
    res = {}
    lim = 3.0 * float(model.borders.abs().max())
    for n, x, y_ctx, y_tgt, d in val:
        logits = model(x, y_ctx, d)
        res[n] = float(bar.nll(logits.float(), model.borders, y_tgt.clamp(-lim, lim)).mean())
    model.train()
    return res


def _optimizer(model: PFNTransformer, cfg: TrainConfig) -> torch.optim.AdamW:
    decay = [p for n, p in model.named_parameters() if p.dim() >= 2]
    no_decay = [p for n, p in model.named_parameters() if p.dim() < 2]
    groups = [{"params": decay, "weight_decay": cfg.weight_decay}, {"params": no_decay, "weight_decay": 0.0}]
    return torch.optim.AdamW(groups, lr=cfg.lr, betas=(0.9, 0.99))


def _train_state(opt: torch.optim.AdamW, gen: torch.Generator) -> dict[str, torch.Tensor]:
    state = {"rng.generator": gen.get_state(), "rng.torch": torch.get_rng_state()}
    for i, s in opt.state_dict()["state"].items():
        for k, v in s.items():
            state[f"opt.{i}.{k}"] = torch.as_tensor(v).clone()
    return state


def _restore_train_state(opt: torch.optim.AdamW, gen: torch.Generator, state: dict[str, torch.Tensor], device) -> None:
    sd = opt.state_dict()
    per: dict[int, dict] = {}
    for key, v in state.items():
        if key.startswith("opt."):
            _, i, k = key.split(".", 2)
            per.setdefault(int(i), {})[k] = v.to(device) if k != "step" else v
    sd["state"] = per
    opt.load_state_dict(sd)
    gen.set_state(state["rng.generator"].to(torch.uint8))
    torch.set_rng_state(state["rng.torch"].to(torch.uint8))


def train(
    cfg: TrainConfig,
    out: str | Path,
    resume: bool = False,
    export_dir: str | Path | None = None,
    on_step: Callable[[dict], None] | None = None,
    max_seconds: float | None = None,
) -> dict:
    """Pre-train (or resume) into ``out``; returns the final record (step, losses, paths).

    ``on_step`` receives ``{"step", "steps", "loss", "lr", "n_ctx", "datasets_per_s", "val"}`` after each step.
    Raises ``CheckpointError`` if ``resume`` finds a checkpoint of a different model, prior or preset.
    """
    out = Path(out)
    device = resolve_device(cfg.device)
    if device.type == "cpu" and cfg.threads:
        torch.set_num_threads(cfg.threads)
    torch.manual_seed(cfg.seed)
    gen = torch.Generator(device=device).manual_seed(cfg.seed)
    prior = make_prior(cfg.prior)
    latest, best_dir = out / "latest", out / "best"
    history: list[list[float]] = []  # [step, train_loss_ema, val_nll or nan, datasets_seen, seconds]
    step, seen, best_val, elapsed, ema = 0, 0, math.inf, 0.0, None
    if resume and (latest / CONFIG).is_file():
        record = read_config(latest)
        saved = TrainConfig.from_dict(record["train"])
        if saved.model != cfg.model or saved.prior != cfg.prior:
            raise CheckpointError(
                f"--resume: {str(latest)!r} holds preset {saved.preset!r} with a different model or prior than "
                f"preset {cfg.preset!r}; use another --out or the same preset"
            )
        model, _ = load_checkpoint(latest, device)
        model.train()
        opt = _optimizer(model, cfg)
        _restore_train_state(opt, gen, load_train_state(latest), device)
        step, seen = record["step"], record["datasets_seen"]
        history = record.get("history", [])
        best_val = record.get("best_val_nll", math.inf) or math.inf
        elapsed = record.get("train_seconds", 0.0)
        ema = record.get("loss_ema")
        logger.info("resumed %s at step %d", latest, step)
    else:
        if resume:
            logger.info("--resume: no checkpoint in %s, starting fresh", latest)
        model = PFNTransformer(cfg.model).to(device)
        if cfg.init_from is not None:
            warm_start(model, cfg, device)
        else:
            model.head.borders.copy_(compute_borders(cfg, prior, gen, device).to(device))
        opt = _optimizer(model, cfg)
    model.train()
    fwd = model
    if cfg.compile and device.type == "cuda":
        fwd = torch.compile(model, dynamic=True)
    val = validation_set(cfg, device)
    autocast = torch.autocast("cuda", dtype=torch.bfloat16, enabled=device.type == "cuda")

    def meta(val_nll=None) -> dict:
        return {
            "preset": cfg.preset,
            "prior": cfg.prior,
            "train": cfg.to_dict(),
            "step": step,
            "datasets_seen": seen,
            "seed": cfg.seed,
            "train_seconds": round(elapsed, 1),
            "device": str(device),
            "val_nll": val_nll,
            "loss_ema": ema,
            "best_val_nll": None if math.isinf(best_val) else best_val,
            "history": history[-400:],
            "code_version": code_version(),
            "command": f"pfnopt pretrain --preset {cfg.preset} --out {out} --steps {cfg.steps} --seed {cfg.seed}",
        }

    def save_latest() -> None:
        save_checkpoint(latest, model, meta(), train_state=_train_state(opt, gen))

    stop = {"flag": False}

    def _on_signal(signum, frame):  # noqa: ARG001
        stop["flag"] = True

    old = None
    try:
        old = signal.signal(signal.SIGTERM, _on_signal)
    except ValueError:  # not the main thread
        old = None
    ema = ema if resume and step > 0 else None
    t_start, t_last = time.perf_counter(), time.perf_counter()
    seen_since, t_window = 0, time.perf_counter()
    try:
        while step < cfg.steps and not stop["flag"]:
            if max_seconds is not None and time.perf_counter() - t_start > max_seconds:
                break
            n_ctx = draw_n_ctx(cfg, step, gen)
            b = batch_size_for(cfg, n_ctx)
            if cfg.exact_targets:
                x, y_ctx, y_tgt, d, t_mean, t_std = exact_batch(
                    prior, b, n_ctx, cfg.n_targets, cfg.model.d_max, gen, device
                )
            else:
                x, y_ctx, y_tgt, d = normalized_batch(prior, b, n_ctx, cfg.n_targets, cfg.model.d_max, gen, device)
            lim = 3.0 * float(model.borders.abs().max())
            y_tgt = y_tgt.clamp(-lim, lim)
            for g in opt.param_groups:
                g["lr"] = lr_at(cfg, step)
            with autocast:
                logits = fwd(x, y_ctx, d)
            if cfg.exact_targets:
                loss, loss_logged = exact_target_loss(logits, model.borders, y_tgt, t_mean.clamp(-lim, lim), t_std)
            else:
                loss = model.loss(logits, y_tgt)
                loss_logged = loss.detach()
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.grad_clip)
            opt.step()
            step += 1
            seen += b
            seen_since += b
            lv = loss_logged.item()
            ema = lv if ema is None else 0.98 * ema + 0.02 * lv
            now = time.perf_counter()
            elapsed += now - t_last
            t_last = now
            info = {"step": step, "steps": cfg.steps, "loss": ema, "lr": lr_at(cfg, step), "n_ctx": n_ctx}
            if now - t_window > 0:
                info["datasets_per_s"] = seen_since / (now - t_window)
            if now - t_window > 30:
                seen_since, t_window = 0, now
            if step % cfg.eval_every == 0 or step == cfg.steps:
                res = evaluate(model, val)
                v = sum(res.values()) / len(res)
                history.append([step, round(ema, 4), round(v, 4), seen, round(elapsed, 1)])
                info["val"] = v
                logger.info("step %d loss %.4f val %.4f %s", step, ema, v, {k: round(r, 3) for k, r in res.items()})
                if v < best_val:
                    best_val = v
                    m = meta(val_nll=v)
                    m["val_nll_by_n"] = {str(k): round(r, 4) for k, r in res.items()}
                    save_checkpoint(best_dir, model, m)
                    if export_dir is not None:
                        export(best_dir, export_dir)
                save_latest()
            elif step % cfg.checkpoint_every == 0:
                history.append([step, round(ema, 4), float("nan"), seen, round(elapsed, 1)])
                save_latest()
            if on_step is not None:
                on_step(info)
    finally:
        if step > 0:
            save_latest()
        if old is not None:
            signal.signal(signal.SIGTERM, old)
    return {"step": step, "loss": ema, "best_val_nll": best_val, "out": str(out)}


def export(src: str | Path, dst: str | Path) -> None:
    """Copy a checkpoint's weights and JSON (not its training state) to ``dst``, atomically per file."""
    src, dst = Path(src), Path(dst)
    dst.mkdir(parents=True, exist_ok=True)
    for name in (WEIGHTS, CONFIG):  # weights first, JSON (with the weights' hash) last
        tmp = dst / (name + ".tmp")
        shutil.copyfile(src / name, tmp)
        tmp.replace(dst / name)
