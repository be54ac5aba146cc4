"""Optuna's ``optuna.artifacts``: files attached to a study or a trial, kept in an artifact store.

``upload_artifact(artifact_store=..., file_path=..., study_or_trial=...)`` copies a file into the
store under a new id and records its metadata (file name, MIME type, encoding) in the system
attribute ``artifacts:<id>`` of the study or trial; ``get_all_artifact_meta`` lists them and
``download_artifact`` copies one back out. ``FileSystemArtifactStore(base_path)`` keeps each
artifact as one file named by its id.
"""

from __future__ import annotations

import json
import mimetypes
import os
import shutil
import uuid
from dataclasses import dataclass
from typing import Any, BinaryIO

from pfnopt.exceptions import ParameterError, PfnoptError

_PREFIX = "artifacts:"


class ArtifactNotFound(PfnoptError, FileNotFoundError):
    """No artifact with that id in the store."""


@dataclass(frozen=True)
class ArtifactMeta:
    artifact_id: str
    filename: str
    mimetype: str
    encoding: str | None


class FileSystemArtifactStore:
    """Artifacts as files under ``base_path`` (created if missing), one per id."""

    def __init__(self, base_path: str | os.PathLike[str]):
        self._base = os.fspath(base_path)
        os.makedirs(self._base, exist_ok=True)

    def _path(self, artifact_id: str) -> str:
        if not artifact_id or os.sep in artifact_id or artifact_id in (".", ".."):
            raise ParameterError(f"not an artifact id: {artifact_id!r}")
        return os.path.join(self._base, artifact_id)

    def open_reader(self, artifact_id: str) -> BinaryIO:
        try:
            return open(self._path(artifact_id), "rb")
        except FileNotFoundError:
            raise ArtifactNotFound(f"no artifact {artifact_id!r} in {self._base!r}") from None

    def write(self, artifact_id: str, content_body: BinaryIO) -> None:
        with open(self._path(artifact_id), "wb") as f:
            shutil.copyfileobj(content_body, f)

    def remove(self, artifact_id: str) -> None:
        try:
            os.remove(self._path(artifact_id))
        except FileNotFoundError:
            raise ArtifactNotFound(f"no artifact {artifact_id!r} in {self._base!r}") from None


def _set_attr(study_or_trial: Any, key: str, value: Any) -> None:
    from pfnopt.study import Study
    from pfnopt.trial import Trial

    if isinstance(study_or_trial, Study):
        study_or_trial.set_system_attr(key, value)
    elif isinstance(study_or_trial, Trial):
        study_or_trial.study._storage.set_trial_attr(study_or_trial._trial_id, key, value, system=True)
    else:
        raise ParameterError(f"upload_artifact attaches to a Study or a running Trial, got {type(study_or_trial).__name__}")


def upload_artifact(*, artifact_store: Any, file_path: str, study_or_trial: Any, storage: Any = None,
                    mimetype: str | None = None, encoding: str | None = None) -> str:
    """Copy ``file_path`` into ``artifact_store`` and attach it to ``study_or_trial``; returns its id."""
    if not os.path.isfile(file_path):
        raise ParameterError(f"upload_artifact: {file_path!r} is not a file")
    guessed, guessed_enc = mimetypes.guess_type(file_path)
    artifact_id = str(uuid.uuid4())
    meta = {"artifact_id": artifact_id, "filename": os.path.basename(file_path),
            "mimetype": mimetype or guessed or "application/octet-stream", "encoding": encoding or guessed_enc}
    with open(file_path, "rb") as f:
        artifact_store.write(artifact_id, f)
    _set_attr(study_or_trial, _PREFIX + artifact_id, json.dumps(meta))
    return artifact_id


def get_all_artifact_meta(study_or_trial: Any, *, storage: Any = None) -> list[ArtifactMeta]:
    """The artifacts attached to a study, a trial or a FrozenTrial, in upload order."""
    attrs = dict(getattr(study_or_trial, "system_attrs", None) or {})
    if not attrs and hasattr(study_or_trial, "_trial_id"):
        attrs = dict(study_or_trial.study._storage.get_trial(study_or_trial._trial_id).system_attrs)
    return [ArtifactMeta(**json.loads(v)) for k, v in attrs.items() if k.startswith(_PREFIX)]


def download_artifact(*, artifact_store: Any, file_path: str, artifact_id: str) -> None:
    """Copy artifact ``artifact_id`` to ``file_path`` (which must not exist yet)."""
    if os.path.exists(file_path):
        raise ParameterError(f"download_artifact: {file_path!r} exists already")
    with artifact_store.open_reader(artifact_id) as src, open(file_path, "wb") as dst:
        shutil.copyfileobj(src, dst)


__all__ = ["ArtifactMeta", "ArtifactNotFound", "FileSystemArtifactStore", "download_artifact",
           "get_all_artifact_meta", "upload_artifact"]
