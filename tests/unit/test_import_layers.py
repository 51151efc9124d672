"""The layers of marketplace/ hold, and the contract that keeps them would see them broken.

- No module of marketplace/ imports a marketplace module inside a function or a class: such an
  import is how a loop between two packages hides from the contract's reader (and from a newcomer
  reading the imports at the top). Module level only; no exceptions are needed today.
- The use cases a layer above completes (a task's start closes its hand-off offers) are called
  through that layer's wrapper, never imported from below by an entry point.
- pyproject.toml's layers contract over marketplace/ is run by import-linter on a copy of the
  package: as it is, it is kept; with one upward import, one import between two members of a
  layer, or a package left out of the layers, it is broken and says where.
"""

from __future__ import annotations

import ast
import json
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "marketplace"

# (module path relative to the repository, imported module): none. A new entry needs a comment
# saying why the import must wait for the call (its import cost, say); never to dodge a cycle.
ALLOWED_INSIDE_FUNCTIONS: set[tuple[str, str]] = set()


def _imported(node: ast.Import | ast.ImportFrom, module: str) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if node.level == 0:
        return [node.module or ""]
    base = module.split(".")[: -node.level]  # a relative import, resolved from its module
    return [".".join(base + ([node.module] if node.module else []))]


def _module_name(path: Path, root: Path) -> str:
    """The dotted name a relative import inside `path` resolves from (a package's own for __init__)."""
    return ".".join(path.relative_to(root).with_suffix("").parts)


def _nested_imports(path: Path, module: str) -> list[tuple[int, str]]:
    """(line, imported module) of every import inside a function or a class of this file."""
    found = []
    for scope in ast.walk(ast.parse(path.read_text(), str(path))):
        if not isinstance(scope, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            continue
        for node in ast.walk(scope):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                found += [(node.lineno, name) for name in _imported(node, module)]
    return sorted(set(found))


def test_no_module_of_marketplace_imports_marketplace_inside_a_function():
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = str(path.relative_to(ROOT))
        for line, name in _nested_imports(path, _module_name(path, ROOT)):
            ours = name == "marketplace" or name.startswith("marketplace.")
            if ours and (rel, name) not in ALLOWED_INSIDE_FUNCTIONS:
                found.append(f"{rel}:{line} imports {name}")
    assert found == [], "move these imports to the top of their module:\n" + "\n".join(found)


def test_the_check_sees_an_import_inside_a_function_or_a_class(tmp_path):
    sample = tmp_path / "marketplace" / "tasks" / "sample.py"
    sample.parent.mkdir(parents=True)
    sample.write_text(
        "import os\n\n\ndef f():\n    from marketplace.network import handoffs\n\n\n"
        "class C:\n    from . import models\n\n    def g(self):\n        import json\n"
    )
    module = _module_name(sample, tmp_path)
    assert module == "marketplace.tasks.sample"
    assert _nested_imports(sample, module) == [(5, "marketplace.network"), (9, "marketplace.tasks"), (12, "json")]


# The task use cases a layer above wraps, and the wrapper the entry points must call instead.
WRAPPED = {
    ("marketplace.tasks.lifecycle", "start_task"): "marketplace.network.holding",
    ("marketplace.tasks.lifecycle", "cancel_by_client"): "marketplace.network.holding",
    ("marketplace.tasks.lifecycle", "cancel_by_tasker"): "marketplace.network.holding",
    ("marketplace.tasks.parties", "may_see_as_party"): "marketplace.network.holding",
    ("marketplace.accounts.sign_ins", "change_password"): "marketplace.notifications.sign_ins",
}


def test_the_entry_points_call_the_wrappers_of_use_cases_a_layer_above_completes():
    """Starting or cancelling a task closes its hand-off offers, and a password change writes a
    letter, only through the wrapper in the layer above: an entry point (or another package) that
    imported the task's or the account's own use case would skip that."""
    found = []
    for folder in ("api", "cli", "workers", "marketplace"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            module = _module_name(path, ROOT)
            for node in ast.walk(ast.parse(path.read_text(), str(path))):
                if not isinstance(node, ast.ImportFrom) or node.level:
                    continue
                for alias in node.names:
                    wrapper = WRAPPED.get((node.module or "", alias.name))
                    if wrapper is not None and module != wrapper:
                        found.append(f"{path.relative_to(ROOT)}:{node.lineno} imports {alias.name}: call {wrapper}'s")
    assert found == []


def _layers_contract() -> dict:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    (contract,) = [c for c in config["contracts"] if c["type"] == "layers" and c.get("containers") == ["marketplace"]]
    return contract


def _lint(tmp_path: Path) -> subprocess.CompletedProcess:
    """import-linter's command line, with only the marketplace layers contract, on the copy."""
    contract = _layers_contract()
    lines = ["[tool.importlinter]", 'root_packages = ["marketplace"]', "", "[[tool.importlinter.contracts]]"]
    lines += [f"{key} = {json.dumps(value)}" for key, value in contract.items()]
    (tmp_path / "contracts.toml").write_text("\n".join(lines) + "\n")
    env = {**os.environ, "PYTHONPATH": str(tmp_path), "COLUMNS": "200"}
    run = "from importlinter.cli import lint_imports_command; lint_imports_command()"
    return subprocess.run(
        [sys.executable, "-c", run, "--config", "contracts.toml", "--no-cache"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture(scope="module")
def copy(tmp_path_factory) -> Path:
    where = tmp_path_factory.mktemp("layers")
    shutil.copytree(PACKAGE, where / "marketplace", ignore=shutil.ignore_patterns("__pycache__"))
    return where


def _with(copy: Path, tmp_path: Path, file: str, added: str) -> Path:
    """A fresh copy of the package with `added` appended to `file` (created if it is new)."""
    shutil.copytree(copy / "marketplace", tmp_path / "marketplace")
    target = tmp_path / "marketplace" / file
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("a") as out:
        out.write("\n" + added + "\n")
    return tmp_path


def test_the_layers_contract_is_kept_by_the_package_as_it_is(copy):
    run = _lint(copy)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "1 kept, 0 broken" in run.stdout


BREAKS = [
    # taskers sit below tasks: the loop the feed once made
    (
        "taskers/levels.py",
        "from marketplace.tasks.models import Task",
        "marketplace.taskers.levels -> marketplace.tasks.models",
    ),
    # tasks sit below the network: the loop closing hand-off offers once made
    (
        "tasks/lifecycle.py",
        "import marketplace.network.handoffs",
        "marketplace.tasks.lifecycle -> marketplace.network.handoffs",
    ),
    # accounts sit below the notifications: the loop the security letters once made
    (
        "accounts/sign_ins.py",
        "from marketplace.notifications.kinds import account_security",
        "marketplace.accounts.sign_ins -> marketplace.notifications.kinds.account_security",
    ),
    # payments and the network share a layer and never import each other
    (
        "payments/ledger.py",
        "from marketplace.network.models import HandoffOffer",
        "marketplace.payments.ledger -> marketplace.network.models",
    ),
    # a new package has to be given its place
    ("crews/__init__.py", '"""A package no layer names."""', "marketplace.crews"),
]


@pytest.mark.parametrize(("file", "added", "said"), BREAKS, ids=[b[0] for b in BREAKS])
def test_the_layers_contract_is_broken_by(copy, tmp_path, file, added, said):
    run = _lint(_with(copy, tmp_path, file, added))
    assert run.returncode == 1, run.stdout + run.stderr
    told = " ".join(run.stdout.split())  # the report wraps long lines
    assert "0 kept, 1 broken" in told
    assert said in told, run.stdout
