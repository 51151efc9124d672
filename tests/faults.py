"""Services of a test's own, to break on purpose: a PostgreSQL cluster that can be stopped,
crashed and resumed without touching the cluster the rest of the suite shares."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SERVICES = ROOT / "services"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PrivateService:
    """One of services/*.sh run on its own port and state directory."""

    def __init__(self, script: str, port_variables: tuple[str, ...]):
        self.script = str(SERVICES / script)
        self.state = ROOT / ".services" / f"fault-{uuid.uuid4().hex[:8]}"
        self.ports = {name: free_port() for name in port_variables}
        self.env = {**os.environ, "FLOORBOARD_STATE": str(self.state), **{k: str(v) for k, v in self.ports.items()}}

    def run(self, command: str, timeout: float = 180) -> str:
        done = subprocess.run(
            [self.script, command], env=self.env, capture_output=True, text=True, timeout=timeout, check=False
        )
        if done.returncode != 0:
            raise RuntimeError(f"{self.script} {command} failed ({done.returncode}): {done.stderr[-2000:]}")
        return done.stdout.strip()

    def remove(self) -> None:
        shutil.rmtree(self.state, ignore_errors=True)


class PrivatePostgres(PrivateService):
    """With synchronous_commit on, as production runs: a commit answered survives a crash of
    PostgreSQL (fsync stays off, as only the process dies, never the machine)."""

    def __init__(self) -> None:
        super().__init__("postgres.sh", ("PG_PORT",))
        self.env["PG_SYNCHRONOUS_COMMIT"] = "on"
        self.url = ""

    def start(self) -> str:
        self.url = self.run("start").splitlines()[-1]
        return self.url

    def stop(self) -> None:
        self.run("stop")

    def crash(self) -> None:
        self.run("crash")

    def resume(self) -> None:
        self.run("resume")

    def remove(self) -> None:
        self.run("purge")  # its data may live outside the state directory (services/postgres.sh)
        super().remove()


class PrivateKafka(PrivateService):
    """A broker of the test's own: kill -9 and restart it on the same data directory."""

    def __init__(self) -> None:
        super().__init__("kafka.sh", ("KAFKA_PORT", "KAFKA_CONTROLLER_PORT"))
        self.bootstrap = f"127.0.0.1:{self.ports['KAFKA_PORT']}"

    def start(self) -> str:
        self.run("start")
        return self.bootstrap

    def kill(self) -> None:
        self.run("kill")

    def restart(self) -> None:
        self.run("restart")

    def stop(self) -> None:
        self.run("stop")


def free_ports(n: int) -> int:
    """The first of `n` consecutive free ports on 127.0.0.1."""
    import random

    for _ in range(200):
        base = random.randint(20_000, 60_000 - n)
        try:
            for port in range(base, base + n):
                with socket.socket() as s:
                    s.bind(("127.0.0.1", port))
        except OSError:
            continue
        return base
    raise RuntimeError(f"no {n} consecutive free ports")


class PrivateCluster(PrivateService):
    """Three Kafka brokers of the test's own (services/kafka.sh cluster-*), replicated: kill -9 or
    restart one of them, by number (1-3), while the other two carry on."""

    def __init__(self) -> None:
        super().__init__("kafka.sh", ())
        self.base = free_ports(6)
        self.env["KAFKA_CLUSTER_PORT"] = str(self.base)
        self.bootstrap = ",".join(f"127.0.0.1:{self.base + i}" for i in range(3))

    def start(self) -> str:
        self.run("cluster-start", timeout=300)
        return self.bootstrap

    def _node(self, command: str, broker: int) -> None:
        done = subprocess.run(
            [self.script, command, str(broker)], env=self.env, capture_output=True, text=True, timeout=300, check=False
        )
        if done.returncode != 0:
            raise RuntimeError(f"kafka.sh {command} {broker} failed ({done.returncode}): {done.stderr[-2000:]}")

    def kill(self, broker: int) -> None:
        self._node("cluster-kill", broker)

    def restart(self, broker: int) -> None:
        self._node("cluster-restart", broker)

    def stop(self) -> None:
        self.run("cluster-stop")
