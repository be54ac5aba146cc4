"""A thin client of ``pfnopt serve``, on the standard library only (no pfnopt extra needed)::

    from pfnopt.client import connect

    study = connect("http://127.0.0.1:8080", token=token).create_study("beam", load_if_exists=True)
    trial = study.ask({"x": {"type": "float", "low": 0, "high": 1}})
    study.tell(trial, (trial.params["x"] - 0.3) ** 2, constraints=[trial.params["x"] - 0.8])
    rows = study.trials()  # the rows of `pfnopt trials --format json`

Errors come back as the library's own exception classes (StudyNotFoundError for a 404, ...),
with the server's message. Each thread keeps its own keep-alive connection.

When the server leases trials (``pfnopt serve --heartbeat-interval S``), ``ask`` starts a
background thread per trial that POSTs its heartbeat every S seconds until ``tell`` (or
:meth:`RemoteStudy.release`); a process that dies stops beating, and the server fails the trial
after its grace period and hands its retry to the next ask.
"""

from __future__ import annotations

import http.client
import json
import threading
import urllib.parse
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

from pfnopt import exceptions as _exc
from pfnopt._heartbeat import Heartbeat
from pfnopt.exceptions import PfnoptError


class ServiceError(PfnoptError, RuntimeError):
    """The service could not be reached, refused the token, or failed; the message says which."""

    def __init__(self, message: str, status: int | None = None):
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class RemoteTrial:
    """A trial started by :meth:`RemoteStudy.ask`: its number and its parameters."""

    number: int
    params: Mapping[str, Any] = field(default_factory=dict)


class ServiceClient:
    """One server: ``studies()``, ``create_study(...)``, ``load_study(name)``, ``health()``."""

    def __init__(self, url: str, token: str | None = None, timeout: float = 300.0):
        parts = urllib.parse.urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise _exc.ParameterError(f"service URL must look like http://host:port, got {url!r}")
        self.url = url.rstrip("/")
        self._parts = parts
        self._base_path = parts.path.rstrip("/")
        self._headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if token is not None:
            self._headers["Authorization"] = f"Bearer {token}"
        self.timeout = timeout
        self._local = threading.local()

    # transport --------------------------------------------------------------------------------
    def _connection(self) -> http.client.HTTPConnection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            cls = http.client.HTTPSConnection if self._parts.scheme == "https" else http.client.HTTPConnection
            conn = self._local.conn = cls(self._parts.hostname, self._parts.port, timeout=self.timeout)
            self._local.used = False
        return conn

    def request(self, method: str, path: str, body: Any = None) -> Any:
        """Send one request; the decoded JSON reply, or the library's exception for an error reply."""
        data = json.dumps(body).encode("utf-8") if body is not None else None
        for attempt in (0, 1):
            conn = self._connection()
            reused = self._local.used
            try:
                conn.request(method, self._base_path + path, body=data, headers=self._headers)
                resp = conn.getresponse()
                payload = resp.read()
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError) as e:
                # a kept-alive connection the server closed while idle: it never read this request,
                # so sending it again on a fresh connection cannot run it twice
                self._drop()
                if reused and attempt == 0:
                    continue
                raise ServiceError(f"{method} {self.url}{path}: connection lost ({e})") from None
            except OSError as e:
                self._drop()
                raise ServiceError(f"cannot reach the pfnopt service at {self.url}: {e}") from None
            self._local.used = True
            if resp.getheader("connection", "").lower() == "close":
                self._drop()
            return _decode(method, self.url + path, resp.status, payload)
        raise AssertionError("unreachable")  # pragma: no cover

    def _drop(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
        self._local.conn = None

    def close(self) -> None:
        """Close this thread's connection (others close when their threads end)."""
        self._drop()

    # studies ----------------------------------------------------------------------------------
    def health(self) -> dict[str, Any]:
        return self.request("GET", "/api/health")

    def studies(self) -> list[dict[str, Any]]:
        """Every study: name, directions, n_trials, created, automl, sampler."""
        return self.request("GET", "/api/studies")

    def create_study(
        self,
        name: str,
        direction: str | None = None,
        directions: Sequence[str] | None = None,
        sampler: str | None = None,
        seed: int | None = None,
        load_if_exists: bool = False,
    ) -> "RemoteStudy":
        body: dict[str, Any] = {"name": name, "load_if_exists": load_if_exists}
        for key, value in (("direction", direction), ("directions", directions), ("sampler", sampler), ("seed", seed)):
            if value is not None:
                body[key] = list(value) if key == "directions" else value
        info = self.request("POST", "/api/studies", body)
        return RemoteStudy(self, info["name"], tuple(info["directions"]))

    def load_study(self, name: str) -> "RemoteStudy":
        """A handle on an existing study (StudyNotFoundError naming the known ones otherwise)."""
        infos = self.studies()
        for info in infos:
            if info["name"] == name:
                return RemoteStudy(self, name, tuple(info["directions"]))
        known = ", ".join(repr(i["name"]) for i in infos[:5]) or "none"
        raise _exc.StudyNotFoundError(f"no study named {name!r} on {self.url}; studies there: {known}")


class RemoteStudy:
    """Study-like: ``ask(space, n=None)``, ``tell(trial, value(s), state=, constraints=)``, ``trials()``."""

    def __init__(self, client: ServiceClient, name: str, directions: tuple[str, ...]):
        self.client = client
        self.study_name = name
        self.directions = directions
        self._path = "/api/studies/" + urllib.parse.quote(name, safe="")
        self._beats: dict[int, Heartbeat] = {}  # trial number -> its lease's heartbeat thread
        self._beats_lock = threading.Lock()

    def ask(self, space: Mapping[str, Mapping[str, Any]], n: int | None = None) -> RemoteTrial | list[RemoteTrial]:
        """Start a trial (``n``: that many, as a list) with params sampled from ``space`` (the --space JSON).

        With a lease on the server, each trial's heartbeat is kept from a background thread until
        it is told (or released)."""
        got = self.client.request("POST", self._path + "/ask", {"space": space, "n": 1 if n is None else n})
        rows = got if isinstance(got, list) else [got]
        for row in rows:
            if row.get("heartbeat_interval"):
                self._start_beating(int(row["number"]), float(row["heartbeat_interval"]))
        if n is None:
            return RemoteTrial(rows[0]["number"], rows[0]["params"])
        return [RemoteTrial(t["number"], t["params"]) for t in rows]

    def heartbeat(self, trial: RemoteTrial | int) -> dict[str, Any]:
        """Refresh the trial's lease now; TrialFinishedError once it is finished (told, or failed as stale)."""
        number = trial.number if isinstance(trial, RemoteTrial) else trial
        return self.client.request("POST", f"{self._path}/trials/{int(number)}/heartbeat")

    def release(self, trial: RemoteTrial | int) -> None:
        """Stop beating for the trial without telling it (its lease then runs out on the server)."""
        number = trial.number if isinstance(trial, RemoteTrial) else trial
        with self._beats_lock:
            beat = self._beats.pop(int(number), None)
        if beat is not None:
            beat.stop()

    def _start_beating(self, number: int, interval: float) -> None:
        def beat() -> bool:
            try:
                self.heartbeat(number)
            except _exc.TrialFinishedError:  # failed as stale, or told by someone else: stop
                with self._beats_lock:
                    self._beats.pop(number, None)
                return False
            return True  # any other error (server unreachable for a moment): Heartbeat tries again

        with self._beats_lock:
            old = self._beats.pop(number, None)
            self._beats[number] = Heartbeat(beat, interval, name=f"pfnopt-client-heartbeat-{number}")
        if old is not None:
            old.stop()

    def tell(
        self,
        trial: RemoteTrial | int,
        values: float | Sequence[float] | None = None,
        state: str | None = None,
        constraints: Sequence[float] | None = None,
    ) -> dict[str, Any]:
        """Finish a trial; the stored outcome (number, state, values, constraints, fail_reason)."""
        number = trial.number if isinstance(trial, RemoteTrial) else trial
        self.release(number)  # no beat may race the tell (a finished trial answers a beat with 409)
        body: dict[str, Any] = {"number": number}
        if values is not None:
            if isinstance(values, (int, float)):
                body["value"] = values
            else:
                body["values"] = list(values)
        if state is not None:
            body["state"] = state
        if constraints is not None:
            body["constraints"] = list(constraints)
        return self.client.request("POST", self._path + "/tell", body)

    def trials(self) -> list[dict[str, Any]]:
        """Every trial, as the rows of ``pfnopt trials --format json``."""
        return self.client.request("GET", self._path + "/trials")

    def __repr__(self) -> str:
        return f"RemoteStudy(name={self.study_name!r}, url={self.client.url!r})"


def connect(url: str, token: str | None = None, timeout: float = 300.0) -> ServiceClient:
    """A client of the service at ``url`` (e.g. ``http://127.0.0.1:8080``), sending ``token`` if given."""
    return ServiceClient(url, token=token, timeout=timeout)


def _decode(method: str, where: str, status: int, payload: bytes) -> Any:
    try:
        body = json.loads(payload) if payload else None
    except ValueError:
        body = None
    if 200 <= status < 300:
        return body
    detail = body.get("detail") if isinstance(body, dict) else payload[:200].decode("utf-8", "replace")
    name = body.get("error") if isinstance(body, dict) else None
    cls = getattr(_exc, name, None) if isinstance(name, str) else None
    if isinstance(cls, type) and issubclass(cls, PfnoptError) and status in (404, 409, 422):
        raise cls(detail)
    if status == 422:
        raise _exc.ParameterError(f"{method} {where}: {detail}")
    raise ServiceError(f"{method} {where}: HTTP {status}: {detail}", status=status)
