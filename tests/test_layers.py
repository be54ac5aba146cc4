"""The one-way dependency rule, checked on the source (like import-linter's layers contract).

Each package may import only the pfnopt packages listed for it (imports under
``if TYPE_CHECKING:`` are for annotations and do not count). ``cli.py``, ``pfnopt.commands``,
``pfnopt.bench`` and ``pfnopt.automl`` sit on top and may use the public API.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parents[1] / "pfnopt"

BASE = {"pfnopt.exceptions"}
ALLOWED: dict[str, set[str]] = {
    "pfnopt.exceptions": set(),
    "pfnopt.space": BASE,
    "pfnopt.distributions": BASE | {"pfnopt.space"},  # Optuna's names for the space's distributions
    "pfnopt.records": BASE | {"pfnopt.space"},
    "pfnopt.surrogate": BASE,  # the bottom of the stack: torch, and the error tree's leaf module
    "pfnopt.qmc": BASE,  # numpy Sobol points (leaf)
    "pfnopt.devices": BASE,  # the one device rule (leaf)
    "pfnopt.study_view": BASE | {"pfnopt.records"},  # the narrow study protocol samplers type against
    "pfnopt.acquisition": BASE | {"pfnopt.space", "pfnopt.surrogate", "pfnopt.qmc"},
    "pfnopt.storage": BASE | {"pfnopt.space", "pfnopt.records"},
    "pfnopt.samplers": BASE | {"pfnopt.space", "pfnopt.records", "pfnopt.surrogate", "pfnopt.acquisition",
                               "pfnopt.qmc", "pfnopt.devices", "pfnopt.study_view", "pfnopt.distributions"},
    "pfnopt.pruners": BASE | {"pfnopt.records", "pfnopt.surrogate"},  # curve-pfn: the curve PFN, lazily
    "pfnopt.problems": BASE | {"pfnopt.space"},
}
STUDY_LAYER = BASE | {"pfnopt.space", "pfnopt.records", "pfnopt.samplers", "pfnopt.pruners", "pfnopt.storage",
                      "pfnopt.trial", "pfnopt.study", "pfnopt._optimize", "pfnopt._dataframe", "pfnopt._heartbeat",
                      "pfnopt.distributions", "pfnopt._add_trials", "pfnopt._frozen_trials", "pfnopt._in_flight"}
for name in ("pfnopt.trial", "pfnopt.study", "pfnopt._optimize", "pfnopt._dataframe", "pfnopt._heartbeat",
             "pfnopt._add_trials", "pfnopt._frozen_trials", "pfnopt._in_flight"):
    ALLOWED[name] = STUDY_LAYER


def _package_of(module: str) -> str:
    parts = module.split(".")
    return ".".join(parts[:2]) if len(parts) > 1 else module


def _runtime_imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    found: set[str] = set()

    def visit(node: ast.AST, type_checking: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                for sub in child.orelse:
                    visit(sub, type_checking)
                continue
            if isinstance(child, ast.Import):
                found.update(a.name for a in child.names if a.name.startswith("pfnopt"))
            elif isinstance(child, ast.ImportFrom) and child.module and child.module.startswith("pfnopt"):
                found.add(child.module)
                if child.module == "pfnopt":
                    found.update(f"pfnopt.{a.name}" for a in child.names)
            visit(child, type_checking)

    visit(tree, False)
    return found


def _modules():
    for path in sorted(PKG.rglob("*.py")):
        rel = path.relative_to(PKG.parent).with_suffix("")
        module = ".".join(rel.parts).removesuffix(".__init__")
        package = _package_of(module)
        if package in ALLOWED:
            yield pytest.param(path, package, id=module)


@pytest.mark.parametrize("path, package", list(_modules()))
def test_imports_flow_one_way(path, package):
    allowed = ALLOWED[package] | {package}
    bad = {m for m in _runtime_imports(path) if _package_of(m) not in allowed}
    assert not bad, f"{path.name} ({package}) imports {sorted(bad)}; allowed: {sorted(allowed)}"


def test_import_pfnopt_is_light():
    import subprocess
    import sys

    code = "import sys, pfnopt; print(','.join(m for m in ('torch', 'botorch', 'optuna', 'sqlalchemy') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", f"import pfnopt loaded {out.stdout.strip()}"
