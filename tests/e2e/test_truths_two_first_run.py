"""Issue 31, the first run: the README's bot command runs in the project's environment, a Python
without its packages gets a hint instead of a traceback, and `floorboard dev` with its port (or
its mail port) taken says which option moves it and stops, without a traceback."""

from __future__ import annotations

import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import cli

ROOT = Path(__file__).resolve().parents[2]


def test_the_readme_runs_the_bot_with_the_projects_python():
    readme = (ROOT / "README.md").read_text()
    runs = re.findall(r"([^\s(`]*python) examples/tasker_bot\.py", readme)
    assert runs and set(runs) == {".venv/bin/python"}, runs
    first = readme.split("\n## ", 2)[1]  # the README's first section
    assert "--port" in first and "--mail-port" in first


def test_the_bot_without_its_packages_says_how_to_run_it():
    # -S: no site-packages, as a system Python without the project's packages
    done = subprocess.run(
        [sys.executable, "-S", str(ROOT / "examples" / "tasker_bot.py"), "--help"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode != 0
    assert "Traceback" not in done.stderr
    assert "needs the package" in done.stderr and ".venv/bin/python examples/tasker_bot.py" in done.stderr


@pytest.fixture
def taken():
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        yield holder.getsockname()[1]


@pytest.mark.parametrize("which", ["--port", "--mail-port"])
def test_dev_with_a_port_in_use_names_the_option_and_stops(taken, which, monkeypatch, tmp_path):
    monkeypatch.delenv("SMTP_URL", raising=False)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'never.db'}")
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        other = free.getsockname()[1]
    ports = {"--port": other, "--mail-port": other + 1} | {which: taken}
    args = ["dev", "--port", str(ports["--port"]), "--mail-port", str(ports["--mail-port"])]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code != 0
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert f"port {taken}" in result.output and f"{which} {taken + 1}" in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "never.db").exists()  # it stopped before doing anything
