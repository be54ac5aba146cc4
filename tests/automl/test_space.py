"""Conditional spaces: no leaks, valid architectures under every sampler, restrict/extend."""

import json

import pytest

import pfnopt
from pfnopt.automl.models import build_model
from pfnopt.automl.searcher import can_be_invalid
from pfnopt.automl.space import (
    FAMILY_CHILDREN,
    SHARED,
    apply_overrides,
    architecture_violations,
    default_space,
    image_patch_choices,
    load_space_file,
    to_configs,
)
from pfnopt.automl.tasks import digits_task, synthetic_task
from pfnopt.exceptions import ParameterError
from pfnopt.samplers import get_sampler, sampler_names
from pfnopt.space import Int

FORECAST = synthetic_task(length=1200, horizon=24)
IMAGES = digits_task()


@pytest.mark.parametrize("sampler", ["random", "sobol", "tpe", "pfn"])
@pytest.mark.parametrize("task", [FORECAST, IMAGES], ids=["forecast", "classify"])
def test_every_sampler_proposes_valid_architectures_without_leaks(sampler, task):
    """40 define-by-run trials (no training): each trial holds exactly its family's parameters,
    and every proposed architecture builds. The PFN sampler is included once it is registered."""
    if sampler not in sampler_names():
        pytest.skip("the PFN sampler is not registered yet")
    space = default_space(task)
    kwargs = {"n_startup": 5} if sampler == "pfn" else {}  # most PFN trials are model-based
    study = pfnopt.create_study(sampler=get_sampler(sampler, seed=0, **kwargs))
    families = set()

    def objective(trial):
        params = space.suggest(trial)
        fam = params["family"]
        families.add(fam)
        assert set(trial.params) == {"family", *SHARED[task.kind], *FAMILY_CHILDREN[fam]}
        cfg, _ = to_configs(task, params)
        assert architecture_violations(cfg) == []
        build_model(cfg)
        return float(params["lr"])

    study.optimize(objective, n_trials=40)
    assert all(t.state.name == "COMPLETE" for t in study.trials)
    assert len(families) >= 3


def test_inactive_parameters_are_encoded_neutral():
    space = default_space(FORECAST).search_space()
    row = space.encode([{"family": "dlinear", "lr": 1e-3, "ma_kernel": 25}])[0]
    cols = space.columns()
    assert row[cols.index("width")] == 0.5 and row[cols.index("depth")] == 0.5
    heads = [i for i, c in enumerate(cols) if c.startswith("heads=")]
    assert all(abs(row[i] - 1 / len(heads)) < 1e-12 for i in heads)


def test_default_spaces_are_valid_by_construction():
    assert not can_be_invalid(default_space(FORECAST), FORECAST)
    assert not can_be_invalid(default_space(IMAGES), IMAGES)
    widened = default_space(FORECAST).set("width", Int(28, 64, step=4))
    assert can_be_invalid(widened, FORECAST)
    assert image_patch_choices((8, 8)) == [1, 2, 4] and image_patch_choices((28, 28)) == [2, 4, 7, 14]


def test_lookbacks_longer_than_the_series_are_left_out():
    short = synthetic_task(length=600, horizon=24)  # 360 training rows
    assert default_space(short).params["lookback"].choices == (96, 192, 336)


def test_restrict_extend_fix_and_bad_names():
    space = default_space(IMAGES).restrict(families=["vit", "mixer"])
    assert space.families == ("vit", "mixer")
    space.set("epochs", Int(1, 3))
    space.fix("batch_size", 64)
    assert "epochs" in space.shared and "batch_size" not in space.search_space()
    with pytest.raises(ParameterError, match="unknown search parameter 'colour'"):
        space.set("colour", Int(1, 2))
    with pytest.raises(ParameterError, match="not classify families"):
        space.restrict(families=["patchtst"])
    with pytest.raises(ParameterError, match="outside the space"):
        space.check({"family": "convmixer"})
    with pytest.raises(ParameterError, match=r"\['resnet'\] are not classify families"):
        space.fix("family", "resnet")
    assert space.fix("family", "vit").families == ("vit",)


@pytest.mark.parametrize("suffix", [".json", ".yaml"])
def test_space_file(tmp_path, suffix):
    body = {
        "families": ["patchtst", "dlinear"],
        "params": {"heads": [2, 4], "width": {"type": "int", "low": 32, "high": 64, "step": 32}},
        "fixed": {"lookback": 96},
    }
    path = tmp_path / f"space{suffix}"
    if suffix == ".json":
        path.write_text(json.dumps(body))
    else:
        import yaml

        path.write_text(yaml.safe_dump(body))
    space = load_space_file(path, default_space(FORECAST))
    assert space.families == ("patchtst", "dlinear")
    assert space.params["heads"].choices == (2, 4) and space.params["width"].high == 64
    assert space.fixed == {"lookback": 96}
    with pytest.raises(ParameterError, match="unknown key"):
        apply_overrides(default_space(FORECAST), {"famillies": ["vit"]})
