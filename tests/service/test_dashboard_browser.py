"""The dashboard in a real browser: Debian's headless chromium against a real server and real studies.

``--dump-dom`` gives the page after its scripts ran (``--virtual-time-budget``); chromedriver (the
WebDriver protocol, spoken with httpx) watches the live refresh pick up trials told meanwhile.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from html.parser import HTMLParser
from pathlib import Path

import httpx
import pytest

import pfnopt
from pfnopt import problems
from pfnopt.samplers import get_sampler

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage", "--window-size=1400,2200"]


def _need(path: str) -> None:
    if not os.path.exists(path):
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true but {path} is missing: .ci/run installs chromium and chromium-driver")
        pytest.skip(f"{path} is not installed (apt-get install -y chromium chromium-driver)")


# ---------------------------------------------------------------------------------------------
# a minimal DOM of the dumped page

class Node:
    def __init__(self, tag: str, attrs: dict[str, str], parent: "Node | None"):
        self.tag, self.attrs, self.parent, self.children, self.text = tag, attrs, parent, [], ""

    def walk(self):
        yield self
        for c in self.children:
            yield from c.walk()

    def find(self, tag: str | None = None, **attrs: str) -> list["Node"]:
        want = {k.rstrip("_").replace("_", "-"): v for k, v in attrs.items()}
        return [n for n in self.walk() if (tag is None or n.tag == tag)
                and all(n.attrs.get(k) == v or (k == "class" and v in n.attrs.get("class", "").split())
                        for k, v in want.items())]

    def by_id(self, id_: str) -> "Node":
        found = self.find(id=id_)
        assert len(found) == 1, f"#{id_}: {len(found)} elements"
        return found[0]

    def all_text(self) -> str:
        return self.text + "".join(c.all_text() for c in self.children)


class _Builder(HTMLParser):
    VOID = {"meta", "link", "input", "br", "img", "hr", "source", "wbr"}

    def __init__(self):
        super().__init__()
        self.root = self.cur = Node("#root", {}, None)

    def handle_starttag(self, tag, attrs):
        node = Node(tag, {k: v or "" for k, v in attrs}, self.cur)
        self.cur.children.append(node)
        if tag not in self.VOID:
            self.cur = node

    def handle_endtag(self, tag):
        n = self.cur
        while n is not None and n.tag != tag:
            n = n.parent
        if n is not None and n.parent is not None:
            self.cur = n.parent

    def handle_data(self, data):
        self.cur.text += data


def dump_dom(url: str, tmp_path: Path) -> Node:
    profile = tmp_path / f"profile-{time.monotonic_ns()}"
    out = subprocess.run([CHROMIUM, *FLAGS, f"--user-data-dir={profile}", "--virtual-time-budget=8000",
                          "--dump-dom", url], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    builder = _Builder()
    builder.feed(out.stdout)
    return builder.root


# ---------------------------------------------------------------------------------------------
# real studies

def _two_objectives(trial):
    x, y = trial.suggest_float("x", 0, 1), trial.suggest_float("y", 0, 1)
    return x, (1 - x) ** 2 + y


@pytest.fixture
def studies(live_server):
    url = live_server.storage_url
    p = problems.get("welded_beam")
    beam = pfnopt.create_study(study_name="welded-beam", storage=url, sampler=get_sampler("sobol", seed=0))
    beam.optimize(p.objective, n_trials=12, show_progress_bar=False)
    mo = pfnopt.create_study(study_name="two-objectives", storage=url, directions=["minimize", "minimize"],
                             sampler=get_sampler("random", seed=0))
    mo.optimize(_two_objectives, n_trials=8, show_progress_bar=False)
    # an AutoML study as `pfnopt automl` stores it: the study's "automl" record, model attributes per trial
    am = pfnopt.create_study(study_name="automl-like", storage=url, sampler=get_sampler("random", seed=0))
    am.set_user_attr("automl", {"task": {"name": "toy"}, "kind": "classify"})

    def model(trial):
        width = trial.suggest_int("width", 4, 64, log=True)
        lr = trial.suggest_float("lr", 1e-4, 1e-1, log=True)
        trial.set_user_attr("n_params", 10 * width * width)
        trial.set_user_attr("flops_per_sample", 20 * width * width)
        return 1.0 / width + abs(lr - 0.01)

    am.optimize(model, n_trials=6, show_progress_bar=False)
    return {"beam": beam, "mo": mo, "automl": am}


def test_dashboard_shows_a_constrained_study(live_server, studies, tmp_path):
    _need(CHROMIUM)
    beam = studies["beam"]
    dom = dump_dom(f"{live_server.url}/#study=welded-beam", tmp_path)
    assert dom.by_id("study-name").all_text() == "welded-beam"
    summary = dom.by_id("study-summary")
    assert summary.attrs["data-n-trials"] == "12" and summary.all_text().startswith("12 trials (12 complete")
    assert "error" not in dom.by_id("status").attrs.get("class", "")
    listed = [a.all_text() for a in dom.by_id("studies").find("a")]
    assert sorted(listed) == ["automl-like", "two-objectives", "welded-beam"]
    # history: every complete trial is one marker, feasible and infeasible apart
    history = dom.by_id("history").find("svg", data_kind="xy")
    assert len(history) == 1
    n_feasible = sum(t.feasible for t in beam.trials)
    feasible_marks = history[0].find("g", **{"class": "feasible"})[0].find(class_="mark")
    infeasible_marks = history[0].find("g", **{"class": "infeasible"})[0].find(class_="mark")
    assert (len(feasible_marks), len(infeasible_marks)) == (n_feasible, 12 - n_feasible)
    # feasibility
    assert "hidden" not in dom.by_id("feasibility-section").attrs
    assert dom.by_id("feasibility-summary").all_text().startswith(f"{n_feasible} of 12 complete trials feasible")
    assert dom.by_id("feasibility").find("svg", data_kind="xy")
    # parallel coordinates: one line per complete trial, one axis per parameter and the value
    par = dom.by_id("parallel").find("svg", data_kind="parallel")[0]
    assert len(par.find("path", **{"class": "pc-line"})) + len(par.find("path", **{"class": "dim"})) >= 12
    axis_names = [t.all_text() for t in par.find("text", **{"class": "axis-label"})]
    assert axis_names == [*beam.trials[0].params, "value"]
    # the table: one row per trial, params and constraints as columns
    table = dom.by_id("trials")
    assert len(table.find("tbody")[0].find("tr")) == 12
    heads = [th.attrs["data-col"] for th in table.find("th")]
    assert heads[:3] == ["number", "state", "value"] and "params_h" in heads and "constraint_0" in heads
    # single objective: no Pareto front; not AutoML: no AutoML panel
    assert "hidden" in dom.by_id("pareto-section").attrs and "hidden" in dom.by_id("automl-section").attrs


def test_dashboard_pareto_and_automl_views(live_server, studies, tmp_path):
    _need(CHROMIUM)
    dom = dump_dom(f"{live_server.url}/#study=two-objectives", tmp_path)
    assert dom.by_id("study-name").all_text() == "two-objectives"
    assert "hidden" not in dom.by_id("pareto-section").attrs
    n_front = len(studies["mo"].best_trials)
    assert dom.by_id("pareto-summary").all_text().startswith(f"{n_front} Pareto-optimal of 8 feasible")
    pareto = dom.by_id("pareto").find("svg", data_kind="xy")[0]
    assert len(pareto.find("g", **{"class": "front"})[0].find(class_="mark")) == n_front
    assert len(dom.by_id("history").find("svg")) == 2  # one history per objective

    dom = dump_dom(f"{live_server.url}/#study=automl-like", tmp_path)
    assert "hidden" not in dom.by_id("automl-section").attrs
    titles = [t.all_text() for t in dom.by_id("automl").find("text", **{"class": "plot-title"})]
    assert "validation metric (objective) vs model parameters" in titles
    assert "validation metric (objective) vs width" in titles and "validation metric (objective) vs lr" in titles


def test_dashboard_screenshot(live_server, studies, tmp_path):
    _need(CHROMIUM)
    shot = tmp_path / "dashboard.png"
    out = subprocess.run([CHROMIUM, *FLAGS, f"--user-data-dir={tmp_path / 'profile-shot'}",
                          "--virtual-time-budget=8000", f"--screenshot={shot}", f"{live_server.url}/#study=welded-beam"],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 20_000


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_dashboard_live_refresh(live_server, studies, tmp_path):
    """Trials told while the page is open appear without a reload (the page polls every 3 s)."""
    _need(CHROMIUM)
    _need(CHROMEDRIVER)
    port = _free_port()
    driver = subprocess.Popen([CHROMEDRIVER, f"--port={port}"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wd = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if wd.get("/status").json()["value"]["ready"]:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "chromedriver did not start"
            time.sleep(0.2)
        caps = {"capabilities": {"alwaysMatch": {"goog:chromeOptions": {
            "binary": CHROMIUM, "args": [*FLAGS, f"--user-data-dir={tmp_path / 'profile-live'}"]}}}}
        session = wd.post("/session", json=caps).json()["value"]["sessionId"]
        base = f"/session/{session}"

        def n_shown() -> str | None:
            script = "const e = document.getElementById('study-summary'); return e && e.dataset.nTrials || null;"
            return wd.post(f"{base}/execute/sync", json={"script": script, "args": []}).json()["value"]

        def wait_for(expected: str, seconds: float) -> None:
            end = time.monotonic() + seconds
            while n_shown() != expected:
                assert time.monotonic() < end, f"the page shows {n_shown()} trials, not {expected}"
                time.sleep(0.25)

        wd.post(f"{base}/url", json={"url": f"{live_server.url}/#study=welded-beam"})
        wait_for("12", 20)
        beam = studies["beam"]
        beam.optimize(problems.get("welded_beam").objective, n_trials=3, show_progress_bar=False)
        wait_for("15", 20)
        rows = wd.post(f"{base}/execute/sync", json={
            "script": "return document.querySelectorAll('#trials tbody tr').length;", "args": []}).json()["value"]
        assert rows == 15
        wd.delete(base)
    finally:
        wd.close()
        driver.terminate()
        driver.wait(timeout=20)
