"""Checkpoints: bit-for-bit round trip, clear errors for corrupt, truncated or mismatched files."""

from __future__ import annotations

import json

import pytest
import torch
from safetensors.torch import load_file, save_file

from pfnopt.surrogate import CheckpointError, load_pfn
from pfnopt.surrogate.checkpoint import load_checkpoint, save_checkpoint
from pfnopt.surrogate.model import PFNConfig, PFNTransformer

CFG = PFNConfig(d_max=5, n_max=30, emsize=32, n_layer=2, n_head=2, n_buckets=16, decoder_hidden=32)


@pytest.fixture
def saved(tmp_path):
    torch.manual_seed(0)
    model = PFNTransformer(CFG)
    model.head.borders.copy_(torch.linspace(-2, 2, 17))
    save_checkpoint(tmp_path / "ck", model, {"step": 7, "seed": 3})
    return model, tmp_path / "ck"


def test_round_trip_is_bit_for_bit(saved):
    model, path = saved
    loaded, record = load_checkpoint(path)
    a, b = model.state_dict(), loaded.state_dict()
    assert a.keys() == b.keys()
    for k in a:
        assert torch.equal(a[k], b[k]), k
    assert record["step"] == 7 and record["model"] == CFG.to_dict()
    assert (path / "model.safetensors").stat().st_size < 16 * 2**20


def test_fp16_export_loads(tmp_path, saved):
    model, _ = saved
    save_checkpoint(tmp_path / "h", model, {"step": 1}, dtype=torch.float16)
    loaded, record = load_checkpoint(tmp_path / "h")
    assert record["weights_dtype"] == "float16"
    assert torch.equal(loaded.head.borders, model.head.borders)  # borders stay fp32


def test_truncated_weights_raise(saved):
    _, path = saved
    w = path / "model.safetensors"
    w.write_bytes(w.read_bytes()[:1000])
    with pytest.raises(CheckpointError, match="corrupt|truncated"):
        load_pfn(path)


def test_flipped_byte_raises(saved):
    _, path = saved
    w = path / "model.safetensors"
    data = bytearray(w.read_bytes())
    data[-5] ^= 0xFF
    w.write_bytes(bytes(data))
    with pytest.raises(CheckpointError, match="SHA-256"):
        load_pfn(path)


def test_garbage_json_and_missing_files_raise(saved, tmp_path):
    _, path = saved
    with pytest.raises(CheckpointError, match="not a directory"):
        load_pfn(tmp_path / "nowhere")
    (path / "config.json").write_text("{not json")
    with pytest.raises(CheckpointError, match="not valid JSON"):
        load_pfn(path)
    (path / "config.json").write_text(json.dumps({"format": "something-else"}))
    with pytest.raises(CheckpointError, match="not a pfnopt PFN checkpoint"):
        load_pfn(path)


def test_mismatched_config_raises(saved):
    _, path = saved
    from pfnopt.surrogate.checkpoint import seal

    rec = json.loads((path / "config.json").read_text())
    rec["model"]["emsize"] = 64
    (path / "config.json").write_text(json.dumps(rec))
    with pytest.raises(CheckpointError, match="does not match its config_sha256"):  # an edit breaks the seal
        load_pfn(path)
    (path / "config.json").write_text(json.dumps(seal(rec)))
    with pytest.raises(CheckpointError, match="shape"):
        load_pfn(path)
    rec["model"]["bogus"] = 1
    (path / "config.json").write_text(json.dumps(seal(rec)))
    with pytest.raises(CheckpointError, match="invalid model config"):
        load_pfn(path)


def test_missing_tensor_raises(saved):
    _, path = saved
    w = path / "model.safetensors"
    state = load_file(str(w))
    state.pop("head.out.bias")
    save_file(state, str(w))
    rec = json.loads((path / "config.json").read_text())
    from pfnopt.surrogate.checkpoint import seal, sha256

    rec["weights_sha256"] = sha256(w)
    (path / "config.json").write_text(json.dumps(seal(rec)))
    with pytest.raises(CheckpointError, match="missing tensors"):
        load_pfn(path)


def test_no_pickle_files_shipped():
    from pathlib import Path

    import pfnopt.surrogate as s

    root = Path(s.__file__).parent
    assert not list(root.rglob("*.pt")) and not list(root.rglob("*.pkl")) and not list(root.rglob("*.pth"))
    for f in (root / "checkpoints").rglob("*"):
        if f.is_file():
            assert f.stat().st_size < 16 * 2**20, f


@pytest.mark.parametrize(
    "field, value, msg",
    [("emsize", "abc", "emsize='abc' must be an integer"), ("n_layer", 2000, "n_layer=2000 is outside"),
     ("n_head", 0, "n_head=0 is outside"), ("emsize", 31, "not divisible by n_head"), ("d_max", True, "must be an integer")],
)
def test_checkpoint_config_is_validated_before_anything_is_built(saved, field, value, msg):
    """A config with a wrong type or an absurd size is refused in milliseconds (issue 11, item 9), also when
    its record hash is consistent (sealed) and also in an old record without the hash."""
    from pfnopt.surrogate.checkpoint import seal

    _, path = saved
    rec = json.loads((path / "config.json").read_text())
    rec["model"][field] = value
    for body in (seal(rec), {k: v for k, v in rec.items() if k != "config_sha256"}):
        (path / "config.json").write_text(json.dumps(body))
        with pytest.raises(CheckpointError, match=msg):
            load_pfn(path)


def test_edited_record_is_refused_and_old_records_without_the_hash_still_load(saved):
    from pfnopt.surrogate.checkpoint import load_checkpoint
    from pfnopt.surrogate.pfn import DEFAULT_CHECKPOINT

    _, path = saved
    rec = json.loads((path / "config.json").read_text())
    assert "config_sha256" in rec
    (path / "config.json").write_text(json.dumps({**rec, "step": 999}))
    with pytest.raises(CheckpointError, match="does not match its config_sha256"):
        load_pfn(path)
    old = {k: v for k, v in rec.items() if k != "config_sha256"}  # as written before the hash existed
    (path / "config.json").write_text(json.dumps({**old, "step": 999}))
    load_pfn(path)
    model, record = load_checkpoint(DEFAULT_CHECKPOINT)  # the shipped checkpoint still loads
    assert record["model"]["n_layer"] == len(model.blocks)
