"""The HTTP API against a real uvicorn server on a loopback port, with httpx as the client."""

from __future__ import annotations

import json
import threading
import uuid

import httpx
import pytest

import pfnopt
from pfnopt.samplers import BaseSampler, register_sampler

SPACE = {"x": {"type": "float", "low": 0, "high": 1}, "k": {"type": "categorical", "choices": ["a", "b"]},
         "n": {"type": "int", "low": 1, "high": 8}}


def _name() -> str:
    return f"svc-{uuid.uuid4().hex[:10]}"


@pytest.fixture
def http(live_server):
    with httpx.Client(base_url=live_server.url, timeout=30) as c:
        yield c


def _create(http, name, **body):
    r = http.post("/api/studies", json={"name": name, **body})
    assert r.status_code == 201, r.text
    return r.json()


def _n_trials(http, name) -> int:
    return next(s["n_trials"] for s in http.get("/api/studies").json() if s["name"] == name)


def test_health_openapi_and_docs(live_server, http):
    r = http.get("/api/health")
    assert r.status_code == 200
    assert r.json() == {"status": "ok", "version": pfnopt.__version__, "storage": live_server.storage_url}
    schema = http.get("/openapi.json").json()
    assert set(schema["paths"]) == {"/api/health", "/api/studies", "/api/studies/{name}/ask",
                                    "/api/studies/{name}/tell", "/api/studies/{name}/trials",
                                    "/api/studies/{name}/trials/{number}/heartbeat"}
    assert set(schema["paths"]["/api/studies"]) == {"get", "post"}
    assert "404" in schema["paths"]["/api/studies/{name}/ask"]["post"]["responses"]
    docs = http.get("/docs")
    assert docs.status_code == 200 and "swagger" in docs.text.lower()


def test_round_trip_on_sqlite_and_postgres(any_server):
    server = any_server
    name = _name()
    with httpx.Client(base_url=server.url, timeout=30) as http:
        info = _create(http, name, direction="minimize", sampler="sobol", seed=3)
        assert info == {**info, "name": name, "directions": ["minimize"], "n_trials": 0, "sampler": "sobol"}
        one = http.post(f"/api/studies/{name}/ask", json={"space": SPACE}).json()
        assert one["number"] == 0 and set(one["params"]) == {"x", "k", "n"}
        assert 0 <= one["params"]["x"] <= 1 and one["params"]["k"] in ("a", "b") and 1 <= one["params"]["n"] <= 8
        batch = http.post(f"/api/studies/{name}/ask", json={"space": SPACE, "n": 3}).json()
        assert [t["number"] for t in batch] == [1, 2, 3]
        told = http.post(f"/api/studies/{name}/tell", json={"number": 0, "value": 1.25, "constraints": [-0.1, 0.3]})
        assert told.status_code == 200
        assert told.json() == {"number": 0, "state": "COMPLETE", "values": [1.25], "constraints": [-0.1, 0.3],
                               "fail_reason": None}
        assert http.post(f"/api/studies/{name}/tell", json={"number": 1, "state": "fail"}).json()["state"] == "FAIL"
        rows = http.get(f"/api/studies/{name}/trials").json()
    assert [r["state"] for r in rows] == ["COMPLETE", "FAIL", "RUNNING", "RUNNING"]
    assert rows[0]["value"] == 1.25 and rows[0]["feasible"] is False and rows[0]["constraint_1"] == 0.3
    # the same rows as `pfnopt trials NAME --format json` (the CLI over the same storage)
    from typer.testing import CliRunner

    from cli import app

    out = CliRunner().invoke(app, ["trials", name, "--format", "json", "--storage", server.storage_url])
    assert out.exit_code == 0, out.output
    assert json.loads(out.output) == rows


def test_multi_objective_study(http):
    name = _name()
    info = _create(http, name, directions=["minimize", "maximize"])
    assert info["directions"] == ["minimize", "maximize"]
    t = http.post(f"/api/studies/{name}/ask", json={"space": SPACE}).json()
    r = http.post(f"/api/studies/{name}/tell", json={"number": t["number"], "values": [1.0, 2.0]})
    assert r.json()["values"] == [1.0, 2.0]
    rows = http.get(f"/api/studies/{name}/trials").json()
    assert rows[0]["values_0"] == 1.0 and rows[0]["values_1"] == 2.0


def test_create_errors(http):
    name = _name()
    _create(http, name)
    dup = http.post("/api/studies", json={"name": name})
    assert dup.status_code == 409 and dup.json()["error"] == "DuplicateStudyError" and name in dup.json()["detail"]
    again = http.post("/api/studies", json={"name": name, "load_if_exists": True})
    assert again.status_code == 201 and again.json()["name"] == name
    cases = [
        ({}, "name: Field required"),
        ({"name": "a", "direction": "up"}, "direction: Input should be 'minimize' or 'maximize' (got 'up')"),
        ({"name": "a", "direction": "minimize", "directions": ["minimize"]}, "give 'direction' or 'directions', not both"),
        ({"name": "a", "direciton": "minimize"}, "direciton: Extra inputs are not permitted"),
        ({"name": "a", "sampler": "magic"}, "unknown sampler 'magic'; allowed:"),
        ({"name": "a", "seed": -1}, "seed: Input should be greater than or equal to 0"),
    ]
    for body, message in cases:
        r = http.post("/api/studies", json=body)
        assert r.status_code == 422, (body, r.text)
        assert message in r.json()["detail"], (body, r.json())
    assert "a" not in [s["name"] for s in http.get("/api/studies").json()]  # nothing half-created


def test_ask_errors_store_nothing(http):
    name = _name()
    _create(http, name)
    missing = http.post("/api/studies/nope/ask", json={"space": SPACE})
    assert missing.status_code == 404 and missing.json()["error"] == "StudyNotFoundError"
    assert "no study named 'nope'" in missing.json()["detail"] and name in missing.json()["detail"]
    cases = [
        ({"space": {"x": {"type": "float", "low": 2, "high": 1}}}, "low must be <= high"),
        ({"space": {"x": {"type": "normal"}}}, "unknown distribution type 'normal'"),
        ({"space": {"x": {"type": "float", "low": 0}}}, "lacks the field 'high'"),
        ({"space": {}}, "must be a JSON object of parameters"),
        ({"space": SPACE, "n": 0}, "n: Input should be greater than or equal to 1"),
        ({"space": SPACE, "n": 10_000}, "n: Input should be less than or equal to 256"),
        ({"space": "x"}, "space: Input should be a valid dictionary"),
    ]
    for body, message in cases:
        r = http.post(f"/api/studies/{name}/ask", json=body)
        assert r.status_code == 422, (body, r.text)
        assert message in r.json()["detail"], (body, r.json())
    bad_json = http.post(f"/api/studies/{name}/ask", content=b'{"space": ', headers={"Content-Type": "application/json"})
    assert bad_json.status_code == 422 and "JSON decode error" in bad_json.json()["detail"]
    assert _n_trials(http, name) == 0


def test_tell_errors_lose_nothing(http):
    name = _name()
    _create(http, name)
    t = http.post(f"/api/studies/{name}/ask", json={"space": SPACE}).json()["number"]
    tell = f"/api/studies/{name}/tell"
    wrong_count = http.post(tell, json={"number": t, "values": [1.0, 2.0]})
    assert wrong_count.status_code == 422 and wrong_count.json()["error"] == "InvalidValueError"
    assert "1 objective(s) but 2 value(s)" in wrong_count.json()["detail"]
    for body, message in [
        ({"number": t, "value": "abc"}, "value: Input should be a valid number"),
        ({"number": t, "value": 1.0, "values": [1.0]}, "give 'value' or 'values', not both"),
        ({"number": t}, "give 'value' (or 'values'), or a 'state' of 'fail' or 'pruned'"),
        ({"number": t, "value": 1.0, "state": "done"}, "state: Input should be 'complete', 'fail' or 'pruned'"),
        ({"value": 1.0}, "number: Field required"),
    ]:
        r = http.post(tell, json=body)
        assert r.status_code == 422 and message in r.json()["detail"], (body, r.json())
    assert http.get(f"/api/studies/{name}/trials").json()[0]["state"] == "RUNNING"  # still tellable
    assert http.post(tell, json={"number": t, "value": 0.5}).status_code == 200
    finished = http.post(tell, json={"number": t, "value": 9.0})
    assert finished.status_code == 409 and finished.json()["error"] == "TrialFinishedError"
    assert "already finished" in finished.json()["detail"]
    unknown = http.post(tell, json={"number": 99, "value": 1.0})
    assert unknown.status_code == 404 and "no trial number 99" in unknown.json()["detail"]
    assert http.post("/api/studies/nope/tell", json={"number": 0, "value": 1.0}).status_code == 404
    assert http.get("/api/studies/nope/trials").status_code == 404
    rows = http.get(f"/api/studies/{name}/trials").json()
    assert len(rows) == 1 and rows[0]["value"] == 0.5  # the refused tells changed nothing


def test_nan_value_is_stored_as_fail(http):
    """The library's NaN policy, through JSON (Python's json reads NaN): FAIL with the reason, 200."""
    name = _name()
    _create(http, name)
    t = http.post(f"/api/studies/{name}/ask", json={"space": SPACE}).json()["number"]
    r = http.post(f"/api/studies/{name}/tell", content=f'{{"number": {t}, "value": NaN}}'.encode(),
                  headers={"Content-Type": "application/json"})
    assert r.status_code == 200
    assert r.json()["state"] == "FAIL" and "not finite" in r.json()["fail_reason"]


class _BrokenSampler(BaseSampler):
    def sample(self, study, trial, space):
        raise RuntimeError("sampler exploded\n  with a second line")


def test_unexpected_error_is_one_line_500_and_the_trial_is_failed(http):
    register_sampler("test-broken", f"{__name__}:_BrokenSampler")
    name = _name()
    _create(http, name, sampler="test-broken")
    r = http.post(f"/api/studies/{name}/ask", json={"space": SPACE})
    assert r.status_code == 500
    assert r.json() == {"error": "RuntimeError", "detail": "internal error: sampler exploded with a second line"}
    assert "Traceback" not in r.text
    # the server closes the connection after an unexpected error (Starlette re-raises it to uvicorn):
    # read on a fresh one, not on the kept-alive connection that may be reset under us
    with httpx.Client(base_url=http.base_url, timeout=30) as fresh:
        rows = fresh.get(f"/api/studies/{name}/trials").json()
    assert [row["state"] for row in rows] == ["FAIL"] and "with a second line" in rows[0]["fail_reason"]


def test_one_sampler_object_per_study_is_reused(live_server, http):
    a, b = _name(), _name()
    _create(http, a)
    _create(http, b)
    registry = live_server.app.state.registry
    http.post(f"/api/studies/{a}/ask", json={"space": SPACE})
    first = registry.get(a).study.sampler
    for _ in range(3):
        http.post(f"/api/studies/{a}/ask", json={"space": SPACE})
    assert registry.get(a).study.sampler is first
    http.post(f"/api/studies/{b}/ask", json={"space": SPACE})
    assert registry.get(b).study.sampler is not first


def test_concurrent_clients_lose_nothing(live_server):
    name = _name()
    errors: list[BaseException] = []

    def client(k: int) -> None:
        try:
            with httpx.Client(base_url=live_server.url, timeout=60) as c:
                for i in range(5):
                    t = c.post(f"/api/studies/{name}/ask", json={"space": SPACE}).json()
                    r = c.post(f"/api/studies/{name}/tell", json={"number": t["number"], "value": float(k * 100 + i)})
                    assert r.status_code == 200, r.text
        except BaseException as e:  # noqa: BLE001 - reported by the main thread
            errors.append(e)

    with httpx.Client(base_url=live_server.url) as c:
        _create(c, name)
    threads = [threading.Thread(target=client, args=(k,)) for k in range(8)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert not errors
    with httpx.Client(base_url=live_server.url) as c:
        rows = c.get(f"/api/studies/{name}/trials").json()
    assert sorted(r["number"] for r in rows) == list(range(40))
    assert all(r["state"] == "COMPLETE" for r in rows)
    assert sorted(r["value"] for r in rows) == sorted(float(k * 100 + i) for k in range(8) for i in range(5))


def test_token_required_on_every_api_route(token_server):
    name = _name()
    good = {"Authorization": f"Bearer {token_server.token}"}
    routes = [("GET", "/api/health", None), ("GET", "/api/studies", None), ("POST", "/api/studies", {"name": name}),
              ("POST", f"/api/studies/{name}/ask", {"space": SPACE}),
              ("POST", f"/api/studies/{name}/trials/0/heartbeat", None),
              ("POST", f"/api/studies/{name}/tell", {"number": 0, "value": 1.0}),
              ("GET", f"/api/studies/{name}/trials", None)]
    with httpx.Client(base_url=token_server.url, timeout=30) as c:
        for method, path, body in routes:
            for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Basic {token_server.token}"},
                            {"Authorization": f"Bearer {token_server.token}x"}):
                r = c.request(method, path, json=body, headers=headers)
                assert r.status_code == 401, (method, path, headers, r.text)
                assert r.headers["www-authenticate"] == "Bearer" and "Bearer <token>" in r.json()["detail"]
        assert c.get("/api/studies", headers=good).json() == []  # the refused POSTs created nothing
        for method, path, body in routes:
            r = c.request(method, path, json=body, headers=good)
            assert r.status_code in (200, 201), (method, path, r.text)
        # the page and the docs carry no data and are served without the token
        assert c.get("/").status_code == 200 and c.get("/openapi.json").status_code == 200
