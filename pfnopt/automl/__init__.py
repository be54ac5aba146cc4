"""AutoML over the patch-model family: architecture and training hyperparameters, every candidate
a trial of a pfnopt study, trained for real in PyTorch.

    import pfnopt.automl as automl
    study = automl.search("digits", n_trials=20, sampler="tpe", train_config=automl.TrainConfig(epochs=5))
    automl.export_best(study, "out/digits")
    model = automl.load_model("out/digits")
    model.predict(images)

Pieces: ``models/`` (the MetaFormer skeleton and 8 families), ``tasks`` (ETT, CSV, synthetic,
digits, MNIST subset, .npy folders), ``train`` (the CPU/CUDA trainer), ``space`` (conditional
spaces), ``searcher`` (``search``; a module named ``search`` would shadow the function
``pfnopt.automl.search`` once imported), ``resume`` (what a resumed search may not change),
``export`` (safetensors + JSON), ``formats`` (TorchScript, ONNX), ``report`` (figures). Names are imported lazily, so importing this
package does not load torch.
"""

from __future__ import annotations

import importlib
from typing import Any

_LAZY = {
    "search": "pfnopt.automl.searcher",
    "SearchMonitor": "pfnopt.automl.searcher",
    "TrainConfig": "pfnopt.automl.train",
    "TrainingFailed": "pfnopt.automl.train",
    "ModelConfig": "pfnopt.automl.models",
    "build_model": "pfnopt.automl.models",
    "get_task": "pfnopt.automl.tasks",
    "AutoMLSpace": "pfnopt.automl.space",
    "default_space": "pfnopt.automl.space",
    "load_space_file": "pfnopt.automl.space",
    "export_best": "pfnopt.automl.export",
    "load_model": "pfnopt.automl.export",
    "save_model": "pfnopt.automl.export",
    "write_format": "pfnopt.automl.formats",
    "write_report": "pfnopt.automl.report",
    "report_data": "pfnopt.automl.report",
}

__all__ = sorted(_LAZY)


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'pfnopt.automl' has no attribute {name!r}")
