"""Tasks: the ETT protocol, CSV errors, the synthetic generator, image sets and .npy folders."""

import numpy as np
import pandas as pd
import pytest

from pfnopt.automl.tasks import (
    ETT_BORDERS,
    csv_task,
    default_ett_path,
    digits_task,
    ett_task,
    get_task,
    npy_task,
    synthetic_task,
)
from pfnopt.exceptions import ParameterError


def _fake_ett(tmp_path, rows=14400):
    rng = np.random.default_rng(0)
    cols = ["HUFL", "HULL", "MUFL", "MULL", "LUFL", "LULL", "OT"]
    df = pd.DataFrame(rng.standard_normal((rows, 7)).cumsum(axis=0), columns=cols)
    df.insert(0, "date", pd.date_range("2016-07-01", periods=rows, freq="h").astype(str))
    path = tmp_path / "ETTh1.csv"
    df.to_csv(path, index=False)
    return path


def test_ett_protocol_on_a_file_of_the_same_layout(tmp_path):
    task = ett_task("etth1", _fake_ett(tmp_path), horizon=96)
    assert task.data.shape == (14400, 7) and task.channels[-1] == "OT"
    train = task.data[: ETT_BORDERS["train"][1]]
    assert np.allclose(train.mean(axis=0), 0, atol=1e-4) and np.allclose(train.std(axis=0), 1, atol=1e-3)
    test = task.starts("test", 336)
    assert test[0] == 11520 and test[-1] == 14400 - 96 and len(test) == 2880 - 96 + 1  # every window, none dropped
    assert task.starts("train", 336)[0] == 336


def test_ett_missing_file_names_the_path_and_the_fix(tmp_path):
    with pytest.raises(FileNotFoundError, match="--data"):
        ett_task("etth1", tmp_path / "nope.csv")
    assert default_ett_path("ETTh2").name == "ETTh2.csv"


def test_real_etth1_when_present():
    path = default_ett_path("ETTh1")
    if not path.is_file():
        pytest.skip(f"{path} not present")
    task = get_task("etth1")
    assert task.data.shape == (14400, 7)
    assert 0.5 < task.naive_mse("test", 336) < 3.0


def test_csv_target_and_lookback_errors(tmp_path):
    path = tmp_path / "s.csv"
    pd.DataFrame({"a": np.sin(np.arange(600) / 5), "b": np.arange(600.0)}).to_csv(path, index=False)
    with pytest.raises(ParameterError, match="no column 'y'.*'a', 'b'"):
        csv_task(path, "y", horizon=24)
    task = csv_task(path, "a", horizon=24)
    assert task.n_channels == 1 and task.borders["train"] == (0, 420)
    assert csv_task(path, "a", horizon=24, features="M").n_channels == 2
    with pytest.raises(ParameterError, match="lookback 500 is too long"):
        task.starts("train", 500)


def test_synthetic_is_seeded_and_ood_changes_only_the_test_part():
    a, b = synthetic_task(seed=3), synthetic_task(seed=3)
    assert np.array_equal(a.data, b.data)
    assert not np.array_equal(a.data, synthetic_task(seed=4).data)
    ood = synthetic_task(seed=3, ood=True)
    cut = a.borders["val"][1]
    assert np.allclose(ood.data[:cut], a.data[:cut]) and not np.allclose(ood.data[cut:], a.data[cut:])


def test_digits_split_and_scaling():
    task = digits_task()
    assert task.image_size == (8, 8) and task.n_channels == 1 and task.n_classes == 10
    n = sum(len(v) for v in task.y.values())
    assert n == 1797 and abs(task.x["train"].mean()) < 1e-5


def test_npy_folder(tmp_path):
    rng = np.random.default_rng(0)
    np.save(tmp_path / "x.npy", rng.random((50, 6, 6, 3)))
    np.save(tmp_path / "y.npy", rng.integers(0, 3, 50))
    task = npy_task(tmp_path)
    assert task.image_size == (6, 6) and task.n_channels == 3 and task.n_classes == 3
    with pytest.raises(FileNotFoundError, match="--data"):
        npy_task(tmp_path / "missing")


def test_unknown_task():
    with pytest.raises(ParameterError, match="allowed: etth1"):
        get_task("cifar")
