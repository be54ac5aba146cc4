"""The PFN: a transformer that maps a context data set and target inputs to predictive distributions.

Layout (Müller et al. 2022, "Transformers can do Bayesian inference"), leaf modules first:

- every point is one token: ``x``-encoder (zero-padding to ``d_max`` with rescaling) plus, for context
  points, a ``y``-encoder; there is no positional encoding, so the model is permutation invariant;
- in every layer, ALL tokens attend to the CONTEXT tokens only: context points see each other, a target
  sees the context and never another target (targets are independent and their count is free);
- a Riemann "bar distribution" head: logits over ``n_buckets`` buckets with half-normal tails
  (``pfnopt.surrogate.bar``); the borders are a buffer stored with the weights.

Because context tokens never attend to targets, the context's per-layer keys/values can be computed once
(``encode_context``) and reused for any number of target chunks (``predict``): the two-step path gives
exactly the same result as the one-shot ``forward`` used in training.

``y`` normalisation is part of the model's contract: the model sees context ``y`` standardised by the
context mean and standard deviation (``standardize``); training and the wrapper both call that function.

Shape vocabulary: ``b`` batch (data sets, or outputs at inference), ``n`` context points, ``q`` targets,
``N = n + q``, ``d`` inputs, ``D = d_max``, ``E`` embedding width, ``H`` heads, ``K`` buckets.
Depends only on torch.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from pfnopt.surrogate import bar


@dataclass
class PFNConfig:
    d_max: int = 20  # most inputs the x-encoder accepts; fewer are zero-padded and rescaled
    n_max: int = 200  # most context points trained for; the wrapper subsamples larger contexts
    emsize: int = 96  # token width E
    n_layer: int = 4  # transformer blocks
    n_head: int = 4  # attention heads (E % n_head == 0)
    mlp_ratio: int = 2  # block MLP hidden width = mlp_ratio * E
    n_buckets: int = 256  # bars of the output distribution
    decoder_hidden: int = 192  # hidden width of the bar head
    y_features: int = 4  # y-encoder features: y, y^2 / n-scaled, rank-free summaries (see YEncoder)
    nn_features: int = 0  # nearest context points whose (y, distance) each target token is told (0: off)

    def to_dict(self) -> dict:
        d = asdict(self)
        if not d["nn_features"]:  # checkpoints from before the option keep their exact record
            del d["nn_features"]
        return d

    @classmethod
    def from_dict(cls, d: dict) -> PFNConfig:
        known = set(cls.__dataclass_fields__)
        unknown = set(d) - known
        if unknown:
            raise ValueError(f"PFNConfig: unknown fields {sorted(unknown)}; allowed: {sorted(known)}")
        return cls(**d)


def standardize(y_ctx: Tensor, dim: int = -1) -> tuple[Tensor, Tensor]:
    """The model's y normalisation: context mean and standard deviation (ddof 0) along ``dim``.

    Args:
        y_ctx: ``... x n`` context values (``n >= 1``).
    Returns:
        ``(loc, scale)``, each ``... x 1``. ``scale`` is 1 where the context has fewer than two distinct
        values (a single point, or a constant objective), so the model then sees raw offsets from the mean.
    """
    loc = y_ctx.mean(dim=dim, keepdim=True)
    scale = y_ctx.std(dim=dim, keepdim=True, correction=0) if y_ctx.shape[dim] > 1 else torch.ones_like(loc)
    tiny = scale <= 1e-8 * loc.abs().clamp_min(1.0)
    scale = torch.where(tiny, torch.ones_like(scale), scale)
    return loc, scale


class XEncoder(nn.Module):
    """Inputs in the unit cube, any ``d <= D``: centre, zero-pad to ``D``, rescale by ``sqrt(D / d)``."""

    def __init__(self, cfg: PFNConfig):
        super().__init__()
        self.d_max = cfg.d_max
        self.lin = nn.Linear(cfg.d_max, cfg.emsize)

    def forward(self, x: Tensor, d: Tensor | None = None) -> Tensor:
        """``x``: ``b x N x d`` (``d <= D``; if ``d < D`` it is zero-padded); ``d``: ``b`` inputs actually used
        per data set (columns ``>= d[i]`` are ignored), default ``x.shape[-1]``. Returns ``b x N x E``."""
        d_in = x.shape[-1]
        if d_in < self.d_max:
            x = F.pad(x, (0, self.d_max - d_in))
        cols = torch.arange(self.d_max, device=x.device)
        d_used = d if d is not None else torch.full(x.shape[:1], d_in, device=x.device)
        mask = (cols[None, :] < d_used[:, None]).to(x.dtype)  # b x D
        scale = torch.sqrt(self.d_max / d_used.to(x.dtype)).unsqueeze(-1)  # b x 1
        xc = (x - 0.5) * (mask * scale).unsqueeze(1)  # b x N x D
        return self.lin(xc)


class YEncoder(nn.Module):
    """Standardised context values: a small MLP of ``y`` so that large and small values are both resolved."""

    def __init__(self, cfg: PFNConfig):
        super().__init__()
        self.lin1 = nn.Linear(cfg.y_features, cfg.emsize)
        self.lin2 = nn.Linear(cfg.emsize, cfg.emsize)
        self.n_feat = cfg.y_features

    def forward(self, y: Tensor) -> Tensor:
        """``y``: ``b x n`` standardised. Returns ``b x n x E``."""
        feats = [y, torch.tanh(y), torch.tanh(y / 3.0), (y.abs() + 1.0).log() * y.sign()][: self.n_feat]
        f = torch.stack(feats, dim=-1)  # b x n x F
        return self.lin2(F.gelu(self.lin1(f)))


class NeighbourEncoder(nn.Module):
    """What a target's nearest context points say: their values and distances, added to its x-embedding.

    Why: attention reads the context as a soft average, and a small model does not learn to copy the value of
    the one context point a target sits next to, so its spread at (and near) its own context points stays at
    ~0.1 of std(y) where a deterministic function needs ~0 (``benchmarks/pfn/engineering_fidelity.md``). Told
    the ``k`` nearest values and how near they are, the model only has to learn how fast to trust them.

    Per neighbour (nearest first): its standardised ``y`` and ``g = 1 + log(rho + 1e-5) / log(1e5)``, with
    ``rho`` the root-mean-square coordinate difference over the ``d`` used inputs (0 at the point itself, ~1
    across the cube; the log resolves 1e-5..1). Fewer than ``k`` context points: the missing neighbours read
    ``(0, 1)``, "nothing near". The last layer starts at zero, so a model warm-started with this encoder added
    predicts exactly what it did without it.
    """

    def __init__(self, cfg: PFNConfig):
        super().__init__()
        self.k = cfg.nn_features
        self.lin1 = nn.Linear(2 * self.k, cfg.emsize)
        self.lin2 = nn.Linear(cfg.emsize, cfg.emsize)

    def forward(self, x_tgt: Tensor, x_ctx: Tensor, y_ctx: Tensor, d: Tensor) -> Tensor:
        """``x_tgt`` ``b1 x q x d'``, ``x_ctx`` ``b2 x n x d'``, ``y_ctx`` ``b x n`` standardised, ``d`` ``b`` or ``1``
        (columns ``>= d`` are ignored; ``b1``, ``b2`` are 1 or ``b``). Returns ``b x q x E``."""
        b, n = y_ctx.shape
        cols = torch.arange(x_tgt.shape[-1], device=x_tgt.device)
        mask = (cols[None, :] < d[:, None]).to(x_tgt.dtype)[:, None, :]  # b|1 x 1 x d'
        diff = (x_tgt * mask).unsqueeze(2) - (x_ctx * mask).unsqueeze(1)  # b' x q x n x d'
        # 1e-10 keeps the gradient finite (zero) at a context point itself, where the acquisition may sit
        rho = torch.sqrt(diff.square().sum(-1) / d.to(x_tgt.dtype).view(-1, 1, 1) + 1e-10)  # b' x q x n
        k = min(self.k, n)
        dist, idx = torch.topk(rho, k, dim=-1, largest=False)  # b' x q x k each, nearest first
        q = dist.shape[1]
        y_nn = torch.gather(y_ctx[:, None, :].expand(b, q, n), 2, idx.expand(b, -1, -1))  # b x q x k
        g = (1.0 + torch.log(dist + 1e-5) / math.log(1e5)).expand(b, -1, -1)
        if k < self.k:
            y_nn = F.pad(y_nn, (0, self.k - k), value=0.0)
            g = F.pad(g, (0, self.k - k), value=1.0)
        f = torch.stack([y_nn, g], dim=-1).flatten(-2)  # b x q x 2k, (y, g) per neighbour
        return self.lin2(F.gelu(self.lin1(f)))


class Attention(nn.Module):
    """Multi-head attention whose keys and values come from the context tokens only."""

    def __init__(self, cfg: PFNConfig):
        super().__init__()
        assert cfg.emsize % cfg.n_head == 0
        self.n_head = cfg.n_head
        self.q = nn.Linear(cfg.emsize, cfg.emsize)
        self.kv = nn.Linear(cfg.emsize, 2 * cfg.emsize)
        self.proj = nn.Linear(cfg.emsize, cfg.emsize)

    def keys_values(self, h_ctx: Tensor) -> tuple[Tensor, Tensor]:
        """``h_ctx``: ``b x n x E`` (normalised). Returns ``k, v``: ``b x H x n x E/H`` each."""
        b, n, e = h_ctx.shape
        k, v = self.kv(h_ctx).split(e, dim=-1)  # b x n x E each
        k = k.view(b, n, self.n_head, e // self.n_head).transpose(1, 2)
        v = v.view(b, n, self.n_head, e // self.n_head).transpose(1, 2)
        return k, v

    def forward(self, h: Tensor, k: Tensor, v: Tensor) -> Tensor:
        """``h``: ``b_h x N x E`` queries; ``k, v`` from ``keys_values``, batch ``b_kv``; ``b_h`` and ``b_kv`` are
        equal or one of them is 1 (e.g. one candidate set scored for every output: the query projection is then
        computed once, not once per output). Returns ``max(b_h, b_kv) x N x E``."""
        b_h, n_q, e = h.shape
        q = self.q(h).view(b_h, n_q, self.n_head, e // self.n_head).transpose(1, 2)  # b_h x H x N x E/H
        b = max(b_h, k.shape[0])
        q, k, v = q.expand(b, -1, -1, -1), k.expand(b, -1, -1, -1), v.expand(b, -1, -1, -1)
        y = F.scaled_dot_product_attention(q, k, v)  # b x H x N x E/H (fused kernel, no mask needed)
        y = y.transpose(1, 2).reshape(b, n_q, e)
        return self.proj(y)


class MLP(nn.Module):
    def __init__(self, cfg: PFNConfig):
        super().__init__()
        self.fc = nn.Linear(cfg.emsize, cfg.mlp_ratio * cfg.emsize)
        self.proj = nn.Linear(cfg.mlp_ratio * cfg.emsize, cfg.emsize)

    def forward(self, h: Tensor) -> Tensor:
        return self.proj(F.gelu(self.fc(h)))  # b x N x E


class Block(nn.Module):
    """Pre-norm transformer block: ``h += attn(ln(h) -> ctx)``, ``h += mlp(ln(h))``."""

    def __init__(self, cfg: PFNConfig):
        super().__init__()
        self.ln1 = nn.LayerNorm(cfg.emsize)
        self.attn = Attention(cfg)
        self.ln2 = nn.LayerNorm(cfg.emsize)
        self.mlp = MLP(cfg)

    def forward(self, h: Tensor, n_ctx: int) -> Tensor:
        """Training path. ``h``: ``b x N x E`` with the first ``n_ctx`` tokens the context."""
        a = self.ln1(h)
        k, v = self.attn.keys_values(a[:, :n_ctx])
        h = h + self.attn(a, k, v)
        return h + self.mlp(self.ln2(h))

    def context_step(self, h_ctx: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        """Inference: advance the context tokens one layer, returning them and their keys/values."""
        a = self.ln1(h_ctx)
        k, v = self.attn.keys_values(a)
        h_ctx = h_ctx + self.attn(a, k, v)
        return h_ctx + self.mlp(self.ln2(h_ctx)), k, v

    def target_step(self, h: Tensor, k: Tensor, v: Tensor) -> Tensor:
        """Inference: advance target tokens one layer against cached context keys/values. ``h`` may have
        batch 1 against a batch of ``b`` contexts; the residual sum broadcasts it to ``b``."""
        h = h + self.attn(self.ln1(h), k, v)
        return h + self.mlp(self.ln2(h))


class BarHead(nn.Module):
    """Token -> logits over the bar distribution's buckets. ``borders`` (``K + 1``) is a buffer."""

    def __init__(self, cfg: PFNConfig):
        super().__init__()
        self.ln = nn.LayerNorm(cfg.emsize)
        self.fc = nn.Linear(cfg.emsize, cfg.decoder_hidden)
        self.out = nn.Linear(cfg.decoder_hidden, cfg.n_buckets)
        # placeholder borders; training replaces them with equal-mass quantiles of prior samples
        self.register_buffer("borders", torch.linspace(-3.0, 3.0, cfg.n_buckets + 1))

    def forward(self, h: Tensor) -> Tensor:
        return self.out(F.gelu(self.fc(self.ln(h))))  # b x q x K


@dataclass
class ContextCache:
    """Per-layer keys/values of an encoded context: ``kv[l] = (k, v)``, each ``b x H x n x E/H``; with
    neighbour features also the context itself (``x`` ``b' x n x d'``, ``y`` ``b x n`` standardised, ``d``)."""

    kv: list[tuple[Tensor, Tensor]]
    n: int
    x: Tensor | None = None
    y: Tensor | None = None
    d: Tensor | None = None


class PFNTransformer(nn.Module):
    """The PFN. ``forward`` for training, ``encode_context`` + ``predict`` for inference."""

    def __init__(self, cfg: PFNConfig):
        super().__init__()
        self.cfg = cfg
        self.x_encoder = XEncoder(cfg)
        self.y_encoder = YEncoder(cfg)
        self.neighbours = NeighbourEncoder(cfg) if cfg.nn_features > 0 else None
        self.blocks = nn.ModuleList([Block(cfg) for _ in range(cfg.n_layer)])
        self.head = BarHead(cfg)
        self.apply(self._init_weights)
        for name, p in self.named_parameters():  # GPT-2 style scaled init of residual projections
            if name.endswith("proj.weight"):
                nn.init.normal_(p, mean=0.0, std=0.02 / math.sqrt(2 * cfg.n_layer))
        if self.neighbours is not None:
            nn.init.zeros_(self.neighbours.lin2.weight)  # starts as "no information" (exact warm start)

    @staticmethod
    def _init_weights(module: nn.Module) -> None:
        if isinstance(module, nn.Linear):
            nn.init.normal_(module.weight, mean=0.0, std=0.02)
            if module.bias is not None:
                nn.init.zeros_(module.bias)

    @property
    def borders(self) -> Tensor:
        return self.head.borders

    def num_parameters(self) -> int:
        return sum(p.numel() for p in self.parameters())

    def forward(self, x: Tensor, y_ctx: Tensor, d: Tensor) -> Tensor:
        """Training path.

        Args:
            x: ``b x N x D`` inputs (context first, then targets), zero-padded beyond each ``d``.
            y_ctx: ``b x n`` standardised context values (``n < N``).
            d: ``b`` inputs per data set.
        Returns:
            ``b x (N - n) x K`` logits for the targets.
        """
        n = y_ctx.shape[1]
        h = self.x_encoder(x, d)  # b x N x E
        h_tgt = h[:, n:]
        if self.neighbours is not None:
            h_tgt = h_tgt + self.neighbours(x[:, n:], x[:, :n], y_ctx, d)
        h = torch.cat([h[:, :n] + self.y_encoder(y_ctx), h_tgt], dim=1)
        for block in self.blocks:
            h = block(h, n)
        return self.head(h[:, n:])

    def encode_context(self, x_ctx: Tensor, y_ctx: Tensor, d: Tensor) -> ContextCache:
        """Inference step 1: ``x_ctx`` ``b x n x D`` (``b`` may be 1 and broadcast), ``y_ctx`` ``b x n``
        standardised, ``d`` ``b`` or ``1``. Returns the per-layer keys/values (``b = y_ctx.shape[0]``)."""
        h = self.x_encoder(x_ctx, d)  # b' x n x E
        h = h + self.y_encoder(y_ctx)  # b x n x E
        kv = []
        for i, block in enumerate(self.blocks):
            if i == len(self.blocks) - 1:  # the last context update is never read
                a = block.ln1(h)
                kv.append(block.attn.keys_values(a))
            else:
                h, k, v = block.context_step(h)
                kv.append((k, v))
        if self.neighbours is None:
            return ContextCache(kv=kv, n=x_ctx.shape[1])
        return ContextCache(kv=kv, n=x_ctx.shape[1], x=x_ctx, y=y_ctx, d=d)

    def extend_context(self, cache: ContextCache, x_add: Tensor, y_add: Tensor, d: Tensor) -> ContextCache:
        """Append ``p`` context tokens to an encoded context without encoding it again (pending points).

        The new tokens attend, layer by layer, to the cached context's keys/values and to each other; the cached
        keys/values are reused unchanged. So the new tokens are exactly what ``encode_context`` on the union would
        make of them if the old tokens did not see the new ones, and the old tokens are what they were: an
        approximation of re-encoding the union (there every token attends to every other), measured in
        ``benchmarks/samplers/pending_append.md``.

        Args:
            cache: from ``encode_context`` (or an earlier ``extend_context``), batch ``b``.
            x_add: ``b' x p x D`` (``b'`` 1 or ``b``); y_add: ``b x p`` standardised with the context's
                normalisation; d: ``b`` or ``1``.
        Returns:
            a new cache of ``n + p`` tokens (``cache`` itself when ``p = 0``).
        """
        p = y_add.shape[1]
        if p == 0:
            return cache
        h = self.x_encoder(x_add, d) + self.y_encoder(y_add)  # b x p x E
        kv = []
        for i, (block, (k_old, v_old)) in enumerate(zip(self.blocks, cache.kv)):
            a = block.ln1(h)
            k_new, v_new = block.attn.keys_values(a)  # b x H x p x E/H each
            k, v = torch.cat([k_old, k_new], dim=2), torch.cat([v_old, v_new], dim=2)
            kv.append((k, v))
            if i < len(self.blocks) - 1:  # as in encode_context, the last update is never read
                h = h + block.attn(a, k, v)
                h = h + block.mlp(block.ln2(h))
        if self.neighbours is None:
            return ContextCache(kv=kv, n=cache.n + p)
        b_x = max(cache.x.shape[0], x_add.shape[0])
        x = torch.cat([cache.x.expand(b_x, -1, -1), x_add.expand(b_x, -1, -1)], dim=1)
        return ContextCache(kv=kv, n=cache.n + p, x=x, y=torch.cat([cache.y, y_add], dim=1), d=cache.d)

    def predict(self, cache: ContextCache, x_new: Tensor, d: Tensor) -> Tensor:
        """Inference step 2: ``x_new`` ``b' x q x D`` (``b'`` 1 or ``b``) -> ``b x q x K`` logits."""
        b = cache.kv[0][0].shape[0]
        h = self.x_encoder(x_new, d)  # b' x q x E; with b' = 1 the first layer broadcasts it to b
        if self.neighbours is not None:
            h = h + self.neighbours(x_new, cache.x, cache.y, cache.d)  # b x q x E
        for block, (k, v) in zip(self.blocks, cache.kv):
            h = block.target_step(h, k, v)
        return self.head(h.expand(b, -1, -1))

    def loss(self, logits: Tensor, y_tgt: Tensor) -> Tensor:
        """Mean bar-distribution NLL of standardised targets ``y_tgt`` (``b x q``)."""
        return bar.nll(logits.float(), self.head.borders, y_tgt.float()).mean()


def state_shapes(cfg: PFNConfig) -> dict[str, tuple[int, ...]]:
    """The shape of every tensor of ``PFNTransformer(cfg).state_dict()``, computed without building the model.

    A checkpoint's weights are compared with these before anything is allocated (a config may imply a
    model far larger than its file); building on PyTorch's ``meta`` device gives the same dict but loads
    torch's symbolic-shape and dynamo machinery (seconds). Must follow the modules above: the tests
    compare it with the built model's ``state_dict`` for several configs.
    """
    E = cfg.emsize
    out: dict[str, tuple[int, ...]] = {}

    def linear(name: str, n_in: int, n_out: int) -> None:
        out[f"{name}.weight"], out[f"{name}.bias"] = (n_out, n_in), (n_out,)

    def norm(name: str) -> None:
        out[f"{name}.weight"], out[f"{name}.bias"] = (E,), (E,)

    linear("x_encoder.lin", cfg.d_max, E)
    linear("y_encoder.lin1", cfg.y_features, E)
    linear("y_encoder.lin2", E, E)
    if cfg.nn_features > 0:
        linear("neighbours.lin1", 2 * cfg.nn_features, E)
        linear("neighbours.lin2", E, E)
    for i in range(cfg.n_layer):
        b = f"blocks.{i}"
        norm(f"{b}.ln1")
        linear(f"{b}.attn.q", E, E)
        linear(f"{b}.attn.kv", E, 2 * E)
        linear(f"{b}.attn.proj", E, E)
        norm(f"{b}.ln2")
        linear(f"{b}.mlp.fc", E, cfg.mlp_ratio * E)
        linear(f"{b}.mlp.proj", cfg.mlp_ratio * E, E)
    out["head.borders"] = (cfg.n_buckets + 1,)
    norm("head.ln")
    linear("head.fc", E, cfg.decoder_hidden)
    linear("head.out", cfg.decoder_hidden, cfg.n_buckets)
    return out
