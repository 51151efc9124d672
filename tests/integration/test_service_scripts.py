"""The service scripts work from a checkout in a private folder: root clones into /root (mode 700)
by default, where the postgres user that runs the cluster cannot reach."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import psycopg

from tests.faults import ROOT, free_port


def test_postgres_starts_from_a_checkout_in_a_private_folder(postgres_server, tmp_path):
    home = tmp_path / "home"
    home.mkdir(mode=0o700)
    os.chmod(home, 0o700)  # whatever the umask said
    services = home / "checkout" / "services"
    services.mkdir(parents=True)
    for script in ("common.sh", "postgres.sh"):
        shutil.copy2(ROOT / "services" / script, services / script)
    env = {k: v for k, v in os.environ.items() if k != "FLOORBOARD_STATE"} | {"PG_PORT": str(free_port())}

    def run(command: str) -> str:
        done = subprocess.run(
            [str(services / "postgres.sh"), command], env=env, capture_output=True, text=True, timeout=180, check=False
        )
        assert done.returncode == 0, f"postgres.sh {command}: {done.stderr[-2000:]}"
        return done.stdout.strip()

    url = run("start").splitlines()[-1]
    try:
        port = env["PG_PORT"]
        assert url == f"postgresql+psycopg://postgres@127.0.0.1:{port}/floorboard"
        with psycopg.connect(f"host=127.0.0.1 port={port} user=postgres dbname=floorboard", connect_timeout=10) as c:
            assert c.execute("SELECT 1").fetchone() == (1,)
        data = Path(os.path.realpath(home / "checkout" / ".services" / "postgres"))
        assert (data / "data" / "PG_VERSION").exists()
    finally:
        run("purge")
    assert not (home / "checkout" / ".services" / "postgres").exists() and not data.exists()
