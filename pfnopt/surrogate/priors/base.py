"""The prior interface: a prior is anything that samples a batch of synthetic regression data sets.

Contract (all priors, see ``Prior.sample``):

- a batch holds ``b`` data sets of ``N`` points each; each data set ``i`` uses its first ``d[i]`` input columns,
  the remaining columns up to ``D = d_max`` are zero;
- inputs lie in the unit cube, the points of a data set are exchangeable (in random order), so the training
  loop takes the first ``n_ctx`` as context and the rest as targets;
- ``y`` is raw (the training loop standardises it with the context statistics, as inference does);
- sampling is batched in torch on ``device`` and reproducible from ``generator``;
- ``n_ctx`` (optional) tells the prior where the training loop will split context from targets. Priors with
  a closed-form posterior predictive (the GP priors) then return it for the targets in
  ``extras["target_mean"]`` and ``extras["target_std"]`` (``b x (N - n_ctx)``, raw units, NaN where a data
  set has no closed form), which exact-target training uses instead of the one sampled target.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field

import torch
from torch import Tensor


@dataclass
class Batch:
    """``b`` data sets of ``N`` points: ``x`` ``b x N x D``, ``y`` ``b x N``, ``d`` ``b`` (long)."""

    x: Tensor
    y: Tensor
    d: Tensor
    extras: dict = field(default_factory=dict)  # prior-specific (e.g. GP hyperparameters for references)

    def __len__(self) -> int:
        return self.x.shape[0]


class Prior(ABC):
    """Base class of priors. Subclasses implement ``sample`` and ``to_dict`` (the JSON record)."""

    name: str = "prior"

    @abstractmethod
    def sample(
        self,
        batch_size: int,
        n_points: int,
        d_max: int,
        generator: torch.Generator,
        device: torch.device | str = "cpu",
        d: int | None = None,
        n_ctx: int | None = None,
    ) -> Batch:
        """Sample ``batch_size`` data sets of ``n_points`` points with up to ``d_max`` inputs.

        ``d`` fixes the number of inputs of every data set (else each draws its own, uniform in ``1..d_max``);
        ``n_ctx`` is the context/target split (see the module docstring), or ``None``.
        """

    def to_dict(self) -> dict:
        return {"name": self.name}


def uniform(shape: tuple[int, ...], generator: torch.Generator, device, dtype=torch.float32) -> Tensor:
    return torch.rand(shape, generator=generator, device=device, dtype=dtype)


def draw_d(b: int, d_max: int, d: int | None, generator: torch.Generator, device) -> Tensor:
    """``b`` input counts, uniform in ``1..d_max`` unless ``d`` is given."""
    if d is not None:
        if not 1 <= d <= d_max:
            raise ValueError(f"d={d} is outside 1..d_max={d_max}")
        return torch.full((b,), d, dtype=torch.long, device=device)
    return torch.randint(1, d_max + 1, (b,), generator=generator, device=device)


def input_mask(d: Tensor, d_max: int) -> Tensor:
    """``b x D`` float mask of the columns each data set uses."""
    return (torch.arange(d_max, device=d.device)[None, :] < d[:, None]).float()


def relevance_mask(d: Tensor, d_max: int, p_irrelevant: float, generator: torch.Generator) -> Tensor:
    """``b x D``: used columns kept with probability ``1 - p_irrelevant``, at least one per data set."""
    used = input_mask(d, d_max)
    keep = (uniform(used.shape, generator, d.device) >= p_irrelevant).float() * used
    none = keep.sum(-1) == 0
    if none.any():
        pick = (uniform((d.shape[0],), generator, d.device) * d.float()).long().clamp_max(d_max - 1)
        forced = torch.zeros_like(keep).scatter_(1, pick[:, None], 1.0)
        keep = torch.where(none[:, None], forced, keep)
    return keep


def reflect(x: Tensor) -> Tensor:
    """Fold values back into ``[0, 1]`` by reflection at the faces."""
    x = torch.remainder(x, 2.0)
    return torch.where(x > 1.0, 2.0 - x, x)


def design(
    b: int,
    n: int,
    d: Tensor,
    d_max: int,
    p_clustered: float,
    generator: torch.Generator,
    device,
) -> tuple[Tensor, Tensor]:
    """Input designs ``b x n x D`` (zero beyond ``d``): uniform, or, with probability ``p_clustered``, BO-like.

    A BO-like design keeps a uniform share (the initial design) and concentrates the rest around 1-3 centres
    with a per-data-set spread (log-uniform in 0.02..0.3). Returns ``(x, in_cluster)``, ``in_cluster`` ``b x n``
    (bool, the points placed around a centre); ``make_bo_like`` then makes the clusters the good regions.
    """
    x = uniform((b, n, d_max), generator, device)
    clustered = uniform((b,), generator, device) < p_clustered
    in_cluster = torch.zeros((b, n), dtype=torch.bool, device=device)
    if clustered.any():
        n_centres = 3
        centres = uniform((b, n_centres, d_max), generator, device)
        which = torch.randint(0, n_centres, (b, n), generator=generator, device=device)
        n_active = torch.randint(1, n_centres + 1, (b, 1), generator=generator, device=device)
        which = which % n_active
        spread = torch.exp(
            torch.log(torch.tensor(0.02)) + uniform((b, 1, 1), generator, device) * torch.log(torch.tensor(15.0))
        )
        c = torch.gather(centres, 1, which[..., None].expand(b, n, d_max))
        xc = reflect(c + spread * torch.randn((b, n, d_max), generator=generator, device=device))
        share_uniform = 0.1 + 0.4 * uniform((b, 1, 1), generator, device)
        use_uniform = uniform((b, n, 1), generator, device) < share_uniform
        xc = torch.where(use_uniform, x, xc)
        x = torch.where(clustered[:, None, None], xc, x)
        in_cluster = clustered[:, None] & ~use_uniform[..., 0]
    return x * input_mask(d, d_max)[:, None, :], in_cluster


def nonzero_options(**options: float) -> dict:
    """The options that are set (nonzero), for a prior's JSON record: an option added later is left out of the
    record when off, so records written before it existed still compare equal (``--resume``)."""
    return {k: v for k, v in options.items() if v}


def place_near_context(
    x: Tensor, d: Tensor, n_ctx: int | None, p_data_set: float, generator: torch.Generator
) -> Tensor:
    """Move some targets next to context points: ``x`` ``b x N x D`` (context first) -> the same shape.

    In a share ``p_data_set`` of the data sets each target (index ``>= n_ctx``), with probability 1/2, becomes a
    random context point plus Gaussian noise of standard deviation ``10^U(-4, -1)`` per coordinate (reflected
    into the cube, zero beyond ``d``). Why: a BO acquisition asks mostly about points near the incumbent and its
    neighbours, where a deterministic function's predictive spread must go to ~0; uniform targets in ``d``
    dimensions are rarely within 0.1 of a context point, so without this the model is seldom taught that
    regime. The Bayes predictive is pointwise in ``x``, so where the targets sit reweights the loss but does
    not change its minimiser. No-op without a context/target split (``n_ctx`` None, 0 or ``N``).
    """
    b, n_points, d_max = x.shape
    if not p_data_set or n_ctx is None or not 0 < n_ctx < n_points:
        return x
    q, dev = n_points - n_ctx, x.device
    src = torch.randint(0, n_ctx, (b, q), generator=generator, device=dev)
    base = torch.gather(x[:, :n_ctx], 1, src[..., None].expand(b, q, d_max))
    sigma = 10.0 ** (-4.0 + 3.0 * uniform((b, q, 1), generator, dev))
    near = reflect(base + sigma * torch.randn((b, q, d_max), generator=generator, device=dev))
    move = (uniform((b, 1, 1), generator, dev) < p_data_set) & (uniform((b, q, 1), generator, dev) < 0.5)
    tgt = torch.where(move, near, x[:, n_ctx:]) * input_mask(d, d_max)[:, None, :]
    return torch.cat([x[:, :n_ctx], tgt], dim=1)


def bo_like_flip(y: Tensor, in_cluster: Tensor) -> Tensor:
    """Which data sets ``make_bo_like`` negates: ``b`` (bool) for ``y`` ``b x n``, ``in_cluster`` ``b x n``."""
    has = in_cluster.any(-1)
    w = in_cluster.to(y.dtype)
    mean_c = (y * w).sum(-1) / w.sum(-1).clamp_min(1.0)
    return has & (mean_c > y.mean(-1))


def make_bo_like(y: Tensor, in_cluster: Tensor) -> Tensor:
    """Flip the sign of data sets whose clustered points are worse (higher) than average.

    For a prior symmetric under ``y -> -y`` (all priors here), this conditions on "the optimiser's clusters
    sit in good (low) regions" at no cost: ``y`` ``b x n``, ``in_cluster`` ``b x n``; returns ``b x n``.
    """
    if not in_cluster.any():
        return y
    return torch.where(bo_like_flip(y, in_cluster)[:, None], -y, y)

def quantize_inputs(x: Tensor, d: Tensor, p_data_set: float, p_column: float, generator: torch.Generator) -> Tensor:
    """Integer and stepped inputs: in a share ``p_data_set`` of data sets, each used column is snapped, with
    probability ``p_column``, to ``L`` equally spaced levels (``L`` uniform in ``2..10``), as an integer or a
    stepped float parameter appears in the unit cube. ``x`` ``b x N x D``, ``d`` ``b``; returns ``b x N x D``."""
    b, _, d_max = x.shape
    if p_data_set <= 0:
        return x
    on = (uniform((b, 1), generator, x.device) < p_data_set) & (uniform((b, d_max), generator, x.device) < p_column)
    on = on & (torch.arange(d_max, device=x.device)[None, :] < d[:, None])
    levels = torch.randint(2, 11, (b, d_max), generator=generator, device=x.device).to(x.dtype)
    snapped = torch.round(x * (levels[:, None, :] - 1)) / (levels[:, None, :] - 1)
    return torch.where(on[:, None, :], snapped, x)


def nan_targets(b: int, q: int, device) -> dict:
    """``extras`` for a batch without a closed-form predictive: NaN ``target_mean`` / ``target_std`` ``b x q``."""
    nan = torch.full((b, q), float("nan"), device=device)
    return {"target_mean": nan, "target_std": nan.clone()}
