"""Every process is named once: deploy/ (Procfile, systemd units, Kubernetes manifests) is generated
from workers.registry(), the checked-in files are what it generates, and each runs every worker."""

from __future__ import annotations

import yaml

from cli import deploy
from workers import WorkerSpec, registry


def test_the_checked_in_deployment_is_what_the_workers_generate():
    assert deploy.stale() == [], "run `floorboard deploy render` and commit deploy/"


def test_every_worker_runs_in_the_procfile_the_units_and_the_manifests():
    workers = set(registry())
    lines = [line for line in (deploy.DEPLOY_DIR / "Procfile").read_text().splitlines() if not line.startswith("#")]
    commands = dict(line.split(": ", 1) for line in lines)
    assert commands.pop("web").startswith("floorboard serve ")
    assert {c.split()[2] for c in commands.values() if c.startswith("floorboard worker ")} == workers == set(commands)

    units = {p.name for p in (deploy.DEPLOY_DIR / "systemd").glob("floorboard-*.service")}
    assert units == {f"floorboard-{n}.service" for n in workers | {"web"}}
    target = (deploy.DEPLOY_DIR / "systemd" / "floorboard.target").read_text()
    assert all(u in target for u in units)

    manifests = list(yaml.safe_load_all((deploy.DEPLOY_DIR / "kubernetes" / "floorboard.yaml").read_text()))
    deployments = {m["metadata"]["name"]: m for m in manifests if m["kind"] == "Deployment"}
    assert set(deployments) == {f"floorboard-{n}" for n in workers | {"web"}}
    ports = set()
    for name, d in deployments.items():
        (container,) = d["spec"]["template"]["spec"]["containers"]
        assert container["command"] == ["floorboard"]
        named = {p["name"]: p["containerPort"] for p in container["ports"]}
        assert "metrics" in named and container["livenessProbe"]["httpGet"]["path"]
        ports.add(named["metrics"])
        if name == "floorboard-web":
            assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
            assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
            assert container["args"][0] == "serve"
        else:
            assert container["args"][:2] == ["worker", name.removeprefix("floorboard-")]
    assert len(ports) == len(deployments), "each process its own metrics port (the Procfile shares a host)"


def test_a_worker_the_deployment_does_not_run_is_caught(monkeypatch):
    import workers

    real = workers.registry

    def with_a_new_worker():
        return {**real(), "ledger": WorkerSpec("ledger", object, description="a worker added later")}

    monkeypatch.setattr(workers, "registry", with_a_new_worker)
    differ = deploy.stale()
    assert "Procfile" in differ and "systemd/floorboard-ledger.service" in differ
    assert "kubernetes/floorboard.yaml" in differ
