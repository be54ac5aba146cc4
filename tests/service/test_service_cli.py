"""``pfnopt serve``: the loopback rule, token files, and a real server process started by the CLI."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from cli import app
from pfnopt.service.auth import InsecureBindError, check_bind, is_loopback, token_matches

runner = CliRunner()
ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("host, loopback", [
    ("127.0.0.1", True), ("127.8.9.1", True), ("::1", True), ("[::1]", True), ("localhost", True),
    ("0.0.0.0", False), ("::", False), ("192.168.1.20", False), ("example.org", False),
])
def test_is_loopback(host, loopback):
    assert is_loopback(host) is loopback


def test_check_bind_and_token_matching():
    check_bind("0.0.0.0", "secret")  # a token makes any address acceptable
    with pytest.raises(InsecureBindError, match="refusing to listen on '0.0.0.0' without a token"):
        check_bind("0.0.0.0", None)
    assert token_matches("abc", "Bearer abc") and token_matches("abc", "bearer abc")
    assert not any(token_matches("abc", h) for h in (None, "", "Bearer", "Bearer ab", "Bearer abcd", "Basic abc"))


def test_serve_refuses_a_public_address_without_token(tmp_path):
    out = runner.invoke(app, ["serve", "--host", "0.0.0.0", "--storage", f"sqlite:///{tmp_path / 'a.db'}"])
    assert out.exit_code == 1
    assert "refusing to listen on '0.0.0.0' without a token" in " ".join(out.output.split())


def test_serve_token_file_errors(tmp_path):
    storage = f"sqlite:///{tmp_path / 'a.db'}"
    out = runner.invoke(app, ["serve", "--storage", storage, "--token-file", str(tmp_path / "missing")])
    assert out.exit_code == 1 and "does not exist" in out.output
    empty = tmp_path / "empty"
    empty.write_text("\n")
    out = runner.invoke(app, ["serve", "--storage", storage, "--token-file", str(empty)])
    assert out.exit_code == 1 and "is empty" in out.output


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_pfnopt_serve_process_with_token(tmp_path):
    token_file = tmp_path / "token"
    token_file.write_text("tok-123\n")
    port = _free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    cmd = [sys.executable, "-m", "cli", "serve", "--storage", f"sqlite:///{tmp_path / 's.db'}", "--port", str(port),
           "--token-file", str(token_file), "--sampler", "random", "--log-level", "warning"]
    proc = subprocess.Popen(cmd, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    url = f"http://127.0.0.1:{port}"
    auth = {"Authorization": "Bearer tok-123"}
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{url}/api/health", headers=auth, timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert proc.poll() is None, proc.stdout.read()
            assert time.monotonic() < deadline, "pfnopt serve did not come up"
            time.sleep(0.2)
        assert httpx.get(f"{url}/api/studies", timeout=5).status_code == 401
        r = httpx.post(f"{url}/api/studies", json={"name": "cli-made"}, headers=auth, timeout=5)
        assert r.status_code == 201 and r.json()["sampler"] == "random"
        t = httpx.post(f"{url}/api/studies/cli-made/ask", json={"space": {"x": {"type": "int", "low": 1, "high": 3}}},
                       headers=auth, timeout=30).json()
        assert t["number"] == 0 and t["params"]["x"] in (1, 2, 3)
    finally:
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=30)
    assert proc.returncode == 0, out
    assert "tok-123" not in out  # the token is never printed
    assert "token required" in out


def test_serve_unreachable_storage_is_one_line_with_the_password_masked():
    out = runner.invoke(app, ["serve", "--storage", "postgresql+psycopg://u:hunter2@127.0.0.1:1/db"])
    assert out.exit_code == 1
    text = " ".join(out.output.split())
    assert "cannot connect" in text and "u:***@127.0.0.1:1" in text and "hunter2" not in text
