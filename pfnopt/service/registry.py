"""The studies a server has loaded: one :class:`~pfnopt.study.Study`, with one sampler, per study.

A sampler may hold costly state (the PFN's weights, a compiled model); loading it once per study
and reusing it is what makes an ask through the service cost what the sampler costs. Asks of one
study are serialised by a per-study lock, so each new trial sees the previous ones RUNNING (the
sampler treats them as pending points and spreads out); tells and reads run concurrently.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Sequence

import pfnopt
from pfnopt.exceptions import ParameterError
from pfnopt.samplers import get_sampler, sampler_names
from pfnopt.service.lease import Lease, LeasedStudy
from pfnopt.storage import BaseStorage, get_storage

# the study system attribute that names the sampler a study was created with through the service
SAMPLER_ATTR = "service:sampler"
SEED_ATTR = "service:seed"


@dataclass
class LoadedStudy:
    study: pfnopt.Study
    ask_lock: threading.Lock = field(default_factory=threading.Lock)


class StudyRegistry:
    """Studies of one storage, loaded on first use and kept.

    Args:
        storage: a storage URL or object.
        default_sampler: sampler name for studies that were not created with one (``None``: pfnopt's default).
        seed: seed for those default samplers.
        lease: the clients' lease on the trials they ask for (see :mod:`pfnopt.service.lease`);
            None: trials carry no heartbeat and are never failed as stale.
    """

    def __init__(self, storage: str | BaseStorage, default_sampler: str | None = None, seed: int | None = None,
                 lease: Lease | None = None):
        self.storage = get_storage(storage)
        self.lease = lease
        if default_sampler is not None and default_sampler not in sampler_names():
            raise ParameterError(f"unknown sampler {default_sampler!r}; allowed: {', '.join(sampler_names())}")
        self.default_sampler = default_sampler
        self.seed = seed
        self._loaded: dict[int, LoadedStudy] = {}
        self._lock = threading.Lock()

    def get(self, name: str) -> LoadedStudy:
        """The loaded study ``name``; raises StudyNotFoundError (naming existing studies) if absent.

        Keyed by the storage's study id, so a study deleted and created again under the same name
        is loaded afresh rather than served from a stale object.
        """
        study_id = self.storage.get_study_id(name)
        with self._lock:
            found = self._loaded.get(study_id)
            if found is None:
                attrs = self.storage.get_study(study_id).system_attrs
                sampler = get_sampler(attrs.get(SAMPLER_ATTR, self.default_sampler), seed=attrs.get(SEED_ATTR, self.seed))
                lease = self.lease
                study = LeasedStudy(
                    name, self.storage, sampler=sampler,
                    heartbeat_interval=lease.heartbeat_interval if lease else None,
                    grace_period=lease.grace_period if lease else None, max_retry=lease.max_retry if lease else 0,
                )
                found = self._loaded[study_id] = LoadedStudy(study)
            return found

    def create(
        self, name: str, directions: Sequence[str], sampler: str | None, seed: int | None, load_if_exists: bool
    ) -> LoadedStudy:
        """Create a study (its sampler name and seed stored with it, so any server reloads it alike)."""
        if sampler is not None and sampler not in sampler_names():
            raise ParameterError(f"unknown sampler {sampler!r}; allowed: {', '.join(sampler_names())}")
        study = pfnopt.create_study(study_name=name, storage=self.storage, directions=list(directions),
                                    sampler="random", load_if_exists=load_if_exists)
        attrs = study.system_attrs
        if sampler is not None and SAMPLER_ATTR not in attrs:
            study.set_system_attr(SAMPLER_ATTR, sampler)
        if seed is not None and SEED_ATTR not in attrs:
            study.set_system_attr(SEED_ATTR, seed)
        return self.get(name)

    def names(self) -> list[str]:
        return [info.name for info in self.storage.list_studies()]
