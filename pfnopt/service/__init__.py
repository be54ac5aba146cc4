"""pfnopt as a service: an HTTP/JSON API and a web dashboard over any storage (``pfnopt serve``).

The pieces, one concept each:

- :mod:`pfnopt.service.auth`: the optional bearer token and the loopback rule;
- :mod:`pfnopt.service.registry`: one loaded :class:`~pfnopt.study.Study` (with its sampler) per study;
- :mod:`pfnopt.service.schemas`: the JSON bodies, as pydantic models (so ``/openapi.json`` documents them);
- :mod:`pfnopt.service.errors`: pfnopt's errors -> 4xx responses with the library's message;
- :mod:`pfnopt.service.routes`: the ``/api`` endpoints;
- :mod:`pfnopt.service.app`: :func:`create_app` and :func:`serve` (uvicorn), plus the dashboard at ``/``.

FastAPI and uvicorn (the ``server`` extra) are imported only by ``app``/``routes``, so importing
this package stays light. The thin client lives in :mod:`pfnopt.client` (standard library only).
"""

from __future__ import annotations

from typing import Any

__all__ = ["create_app", "serve"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from pfnopt.service import app

        return getattr(app, name)
    raise AttributeError(f"module 'pfnopt.service' has no attribute {name!r}")
