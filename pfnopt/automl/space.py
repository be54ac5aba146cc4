"""Conditional search spaces over the patch-model family.

The root parameter ``family`` picks a model family; the shared training parameters (``lr``,
``weight_decay``, ``dropout``, ``batch_size``, and ``lookback``/``revin`` for forecasting or
``label_smoothing`` for images) are active in every trial; each family activates only its own
children (``heads`` only for attention families, ``gated`` only for patchtsmixer, ...). A child used by
several families (``width``, ``depth``, ``mlp_ratio``, ``patch_len``) has ONE name and ONE
distribution, so the surrogate learns across families what a wide or deep model does.

How an inactive parameter reaches the surrogate: a trial simply never suggests it, and
:meth:`pfnopt.space.SearchSpace.encode` writes the neutral value 0.5 in its column (a categorical's
one-hot block gets ``1/k`` in each column): "no information", not a made-up value. Samplers
propose every parameter of the joint space; :meth:`AutoMLSpace.suggest` asks only for the active
ones, so proposals for inactive children are dropped and never reach the model.

Validity by construction: widths are multiples of 16 and heads are 1, 2, 4 or 8, so every width
is divisible by every head count; the patch stride is a fraction of the patch length; image patch
sizes divide the image. A user who extends the space past that (width step 16 with 32 heads) gets
the rule checked before training: an invalid architecture is a violated constraint, told to the
sampler without training (see :mod:`pfnopt.automl.searcher`).

Restrict or extend in Python (``space.restrict(families=[...])``, ``space.set(name, dist)``,
``space.fix(name, value)``) or from a JSON/YAML file (:func:`load_space_file`)::

    families: [patchtst, dlinear]          # restrict the root
    params:                                # replace distributions (narrow or widen)
      width: {type: int, low: 32, high: 128, step: 32}
      heads: [2, 4]                        # a list is a categorical
      epochs: {type: int, low: 2, high: 8} # a training field, added to every family
    fixed: {lookback: 336}                 # held at a value, not searched
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping

from pfnopt.automl.models.config import FAMILIES, ModelConfig
from pfnopt.exceptions import InputFileNotFoundError, ParameterError
from pfnopt.space import (
    Categorical,
    Distribution,
    Float,
    Int,
    SearchSpace,
    distribution_from_json,
    distribution_to_json,
)

# Which search parameters each family uses, besides the shared ones.
FAMILY_CHILDREN: dict[str, tuple[str, ...]] = {
    "patchtst": (
        "patch_len", "stride_frac", "width", "depth", "heads", "mlp_ratio", "attn_dropout", "head_dropout", "norm",
    ),
    "tsmixer": ("width", "depth", "norm"),
    "patchtsmixer": ("patch_len", "stride_frac", "width", "depth", "mlp_ratio", "gated"),
    "resmlp": ("width", "depth", "mlp_ratio"),
    "dlinear": ("ma_kernel",),
    "vit": ("patch_size", "width", "depth", "heads", "mlp_ratio", "attn_dropout"),
    "mixer": ("patch_size", "width", "depth", "mlp_ratio"),
    "poolformer": ("patch_size", "width", "depth", "mlp_ratio", "pool_size", "stages", "layer_scale"),
    "convmixer": ("patch_size", "width", "depth", "mlp_ratio", "kernel_size"),
}
SHARED = {
    "forecast": ("lr", "weight_decay", "dropout", "batch_size", "lookback", "revin"),
    "classify": ("lr", "weight_decay", "dropout", "batch_size", "label_smoothing"),
}
TRAIN_FIELDS = ("lr", "weight_decay", "batch_size", "label_smoothing", "epochs")  # -> TrainConfig
ARCH_FIELDS = {
    "width",
    "depth",
    "heads",
    "mlp_ratio",
    "d_ff",
    "dropout",
    "attn_dropout",
    "head_dropout",
    "norm",
    "revin",
    "gated",
    "pool_size",
    "kernel_size",
    "ma_kernel",
    "lookback",
    "patch_len",
    "stages",
    "layer_scale",
}  # -> ModelConfig (patch_size, stride_frac are mapped)
KNOWN = set(TRAIN_FIELDS) | ARCH_FIELDS | {"family", "patch_size", "stride_frac"}
DEFAULT_LOOKBACKS = (96, 192, 336, 512)


def image_patch_choices(image_size: tuple[int, int]) -> list[int]:
    """Patch sides that divide both image sides and give 4 to 256 tokens (8x8 -> 1, 2, 4)."""
    g = math.gcd(*image_size)
    out = [p for p in range(1, g + 1) if g % p == 0 and 4 <= (image_size[0] // p) * (image_size[1] // p) <= 256]
    return out or [1]


@dataclass
class AutoMLSpace:
    """A conditional space: ``params`` (name -> distribution, ``family`` among them), which
    children each family uses, the shared names, and ``fixed`` values that are not searched."""

    kind: str
    params: dict[str, Distribution]
    children: dict[str, tuple[str, ...]]
    shared: tuple[str, ...]
    fixed: dict[str, Any] = field(default_factory=dict)

    @property
    def families(self) -> tuple[str, ...]:
        return tuple(self.params["family"].choices)  # type: ignore[union-attr]

    def active(self, family: str) -> tuple[str, ...]:
        """Names a trial of ``family`` uses, in suggestion order (root, shared, children)."""
        return ("family",) + self.shared + self.children[family]

    def search_space(self) -> SearchSpace:
        """The joint (unconditional) space of every searched parameter, for samplers and docs."""
        return SearchSpace({n: d for n, d in self.params.items() if n not in self.fixed})

    # edits ------------------------------------------------------------------------------------
    def restrict(self, families: Iterable[str] | None = None, **dists: Distribution) -> "AutoMLSpace":
        if families is not None:
            fams = list(families)
            bad = [f for f in fams if f not in FAMILIES[self.kind]]
            if bad or not fams:
                raise ParameterError(
                    f"families {bad or fams} are not {self.kind} families; allowed: {list(FAMILIES[self.kind])}"
                )
            self.params["family"] = Categorical(fams)
        for name, dist in dists.items():
            self.set(name, dist)
        return self

    def set(self, name: str, dist: Distribution, families: Iterable[str] | None = None) -> "AutoMLSpace":
        """Replace (narrow or widen) the distribution of ``name``, or add a known field that the
        default space holds fixed (e.g. ``epochs``), used by ``families`` (default: all)."""
        if name not in KNOWN:
            raise ParameterError(f"unknown search parameter {name!r}; known: {sorted(KNOWN)}")
        dist = dist.validate(name)
        if name == "family":
            return self.restrict(families=list(dist.choices))  # type: ignore[union-attr]
        if name not in self.params:
            fams = list(families) if families is not None else None
            if fams is None:
                self.shared = self.shared + (name,)
            else:
                for f in fams:
                    if f not in self.children:
                        raise ParameterError(f"unknown family {f!r}; allowed: {list(self.children)}")
                    self.children[f] = self.children[f] + (name,)
        self.params[name] = dist
        self.fixed.pop(name, None)
        return self

    def fix(self, name: str, value: Any) -> "AutoMLSpace":
        """Hold ``name`` at ``value`` (not searched; still used by the families that use it).
        Fixing ``family`` restricts the root to that one family."""
        if name == "family":
            return self.restrict(families=[value])
        if name not in KNOWN:
            raise ParameterError(f"cannot fix unknown parameter {name!r}; known: {sorted(KNOWN)}")
        if name not in self.params:
            self.shared = self.shared + (name,)
            self.params[name] = Categorical([value])
        self.fixed[name] = value
        return self

    # trial side -------------------------------------------------------------------------------
    def suggest(self, trial: Any) -> dict[str, Any]:
        """Suggest the family, then ONLY the parameters it uses; returns them (fixed ones included)."""
        family = trial.suggest("family", self.params["family"])
        out: dict[str, Any] = {"family": family}
        for name in self.shared + self.children[family]:
            out[name] = self.fixed[name] if name in self.fixed else trial.suggest(name, self.params[name])
        return out

    def check(self, params: Mapping[str, Any]) -> None:
        """Raise ParameterError for a family or value outside the space (user-given params)."""
        fam = params.get("family")
        if fam not in self.families:
            raise ParameterError(f"family {fam!r} is outside the space; allowed: {list(self.families)}")
        for name in self.shared + self.children[fam]:
            if name in self.fixed:
                continue
            if name not in params:
                raise ParameterError(f"parameter {name!r} of family {fam!r} is missing")
            if not self.params[name].contains(params[name]):
                raise ParameterError(f"value {params[name]!r} of {name!r} is outside the space {self.params[name]!r}")

    # JSON ---------------------------------------------------------------------------------------
    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "params": {n: json.loads(distribution_to_json(d)) for n, d in self.params.items()},
            "children": {f: list(c) for f, c in self.children.items()},
            "shared": list(self.shared),
            "fixed": dict(self.fixed),
        }

    @classmethod
    def from_json(cls, body: Mapping[str, Any]) -> "AutoMLSpace":
        return cls(
            body["kind"],
            {n: distribution_from_json(d) for n, d in body["params"].items()},
            {f: tuple(c) for f, c in body["children"].items()},
            tuple(body["shared"]),
            dict(body.get("fixed", {})),
        )


def default_space(task: Any) -> AutoMLSpace:
    """The default conditional space for ``task`` (a ForecastTask or an ImageTask).

    Lookback choices longer than the task's series allows are left out.
    """
    kind = task.kind
    params: dict[str, Distribution] = {
        "family": Categorical(list(FAMILIES[kind])),
        "lr": Float(1e-4, 1e-2, log=True),
        "weight_decay": Float(1e-6, 1e-1, log=True),
        "dropout": Float(0.0, 0.9),  # TSMixer's ETTh1 model uses 0.9, PatchTST's 0.3
        "batch_size": Categorical([32, 64, 128]),
        "width": Int(16, 256, step=16),  # PatchTST's ETTh1 d_model is 16
        "depth": Int(1, 4),
        "heads": Categorical([1, 2, 4, 8]),
        "mlp_ratio": Categorical([1.0, 2.0, 4.0, 8.0]),  # PatchTST's ETTh1 d_ff 128 = 8 x 16
        "attn_dropout": Categorical([0.0, 0.1]),
    }
    if kind == "forecast":
        lookbacks = [L for L in DEFAULT_LOOKBACKS if L <= task.max_lookback] or [task.max_lookback]
        params.update(
            {
                "lookback": Categorical(lookbacks),
                "revin": Categorical([True, False]),
                "patch_len": Categorical([8, 12, 16, 24, 32]),
                "stride_frac": Categorical([0.5, 1.0]),
                "gated": Categorical([False, True]),
                "ma_kernel": Categorical([13, 25, 49]),
                "head_dropout": Categorical([0.0, 0.1, 0.3]),
                "norm": Categorical(["batch", "layer"]),
            }
        )
    else:
        params.update(
            {
                "label_smoothing": Float(0.0, 0.2),
                "patch_size": Categorical(image_patch_choices(task.image_size)),
                "pool_size": Categorical([3, 5]),
                "stages": Int(1, 4),  # PoolFormer's S12 has 4
                "layer_scale": Categorical([0.0, 1e-5]),
                "kernel_size": Categorical([3, 5, 7]),
            }
        )
    children = {f: FAMILY_CHILDREN[f] for f in FAMILIES[kind]}
    return AutoMLSpace(kind, params, children, SHARED[kind])


def apply_overrides(space: AutoMLSpace, body: Mapping[str, Any]) -> AutoMLSpace:
    """Apply a restrict/extend document (the JSON/YAML form of the module docstring)."""
    unknown = set(body) - {"families", "params", "fixed"}
    if unknown:
        raise ParameterError(f"unknown key(s) {sorted(unknown)} in the space file; allowed: families, params, fixed")
    if body.get("families") is not None:
        space.restrict(families=body["families"])
    for name, spec in (body.get("params") or {}).items():
        if isinstance(spec, list):
            dist: Distribution = Categorical(spec)
        elif isinstance(spec, dict):
            spec = dict(spec)
            fams = spec.pop("families", None)
            try:
                dist = distribution_from_json(spec)
            except ParameterError as e:
                raise ParameterError(f"space file parameter {name!r}: {e}") from None
            space.set(name, dist, families=fams)
            continue
        else:
            raise ParameterError(f"parameter {name!r}: give a distribution object or a list of choices, got {spec!r}")
        space.set(name, dist)
    for name, value in (body.get("fixed") or {}).items():
        space.fix(name, value)
    return space


def load_space_file(path: str | Path, space: AutoMLSpace) -> AutoMLSpace:
    """Read a JSON or YAML (``.yaml``/``.yml``) restrict/extend file and apply it to ``space``."""
    p = Path(path)
    if not p.is_file():
        raise InputFileNotFoundError(f"space file not found at {str(p)!r}")
    text = p.read_text()
    if p.suffix.lower() in (".yaml", ".yml"):
        import yaml

        try:
            body = yaml.safe_load(text)
        except yaml.YAMLError as e:
            raise ParameterError(f"{str(p)!r} is not valid YAML: {e}") from None
    else:
        try:
            body = json.loads(text)
        except json.JSONDecodeError as e:
            raise ParameterError(f"{str(p)!r} is not valid JSON ({e.msg} at line {e.lineno})") from None
    if not isinstance(body, dict):
        raise ParameterError(f"{str(p)!r} must hold a mapping with families / params / fixed")
    return apply_overrides(space, body)


def to_configs(task: Any, params: Mapping[str, Any]) -> tuple[ModelConfig, dict[str, Any]]:
    """Search params -> (ModelConfig with the task's shape, TrainConfig overrides)."""
    family = params["family"]
    arch: dict[str, Any] = {"family": family}
    train: dict[str, Any] = {}
    for name, value in params.items():
        if name in TRAIN_FIELDS:
            train[name] = value
        elif name in ARCH_FIELDS:
            arch[name] = value
    if "patch_size" in params:
        arch["patch_len"] = int(params["patch_size"])
    if "patch_len" in arch and task.kind == "forecast":
        arch["stride"] = max(1, int(round(arch["patch_len"] * float(params.get("stride_frac", 1.0)))))
    for name in ("width", "depth", "heads", "pool_size", "kernel_size", "ma_kernel", "lookback", "patch_len",
                 "stages", "d_ff"):
        if name in arch:
            arch[name] = int(arch[name])
    for name in ("mlp_ratio", "attn_dropout", "head_dropout", "layer_scale", "dropout"):
        if name in arch:
            arch[name] = float(arch[name])
    from pfnopt.automl.train import model_config_for

    return model_config_for(task, arch), train


def architecture_violations(cfg: ModelConfig) -> list[str]:
    """Reasons why ``cfg`` cannot be built (empty when it can)."""
    try:
        cfg.validate()
    except ParameterError as e:
        return [str(e)]
    return []
