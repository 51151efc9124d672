"""/metrics is served only where an operator puts it: on the metrics port, or to a scraper with the
metrics token. The site's port answers a stranger's GET /metrics with a 404 (no token set) or a 401
(a token set), and never with the market's figures; /healthz and /readyz stay open everywhere."""

from __future__ import annotations

import pytest

from api import create_app
from api.ops import metrics_settings

TOKEN = "m3tr1cs-t0ken-for-the-tests-only"
FIGURE = "floorboard_market_fill_rate_threshold"  # a market figure /metrics always carries


def test_an_anonymous_scrape_on_the_site_port_gets_no_figures(client):
    r = client.get("/metrics")
    assert r.status_code == 404 and r.is_json and FIGURE not in r.get_data(as_text=True)
    assert client.get("/healthz").status_code == 200
    assert client.get("/readyz").status_code == 200


def test_with_a_token_set_only_its_bearer_reads_the_figures(app, client):
    app.config["METRICS_TOKEN"] = TOKEN
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Basic {TOKEN}"}, {"Authorization": ""}):
        r = client.get("/metrics", headers=headers)
        assert r.status_code == 401 and r.headers["WWW-Authenticate"] == 'Bearer realm="metrics"', headers
        assert FIGURE not in r.get_data(as_text=True)
    r = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert r.status_code == 200 and FIGURE in r.get_data(as_text=True)
    assert r.mimetype == "text/plain"


def test_the_metrics_port_serves_the_figures_and_nothing_of_the_site(app, client):
    app.config["METRICS_PORT"] = 9464
    on_port = {"SERVER_PORT": "9464"}
    r = client.get("/metrics", environ_overrides=on_port)
    assert r.status_code == 200 and FIGURE in r.get_data(as_text=True)
    assert client.get("/healthz", environ_overrides=on_port).status_code == 200
    assert client.get("/readyz", environ_overrides=on_port).status_code == 200
    for path in ("/", "/login", "/api/v1/tasks", "/api/openapi.json", "/boards"):
        assert client.get(path, environ_overrides=on_port).status_code == 404, path
    assert client.get("/metrics").status_code == 404  # the site's own port still refuses it
    assert client.get("/boards").status_code == 200


def test_a_host_header_naming_the_metrics_port_is_not_the_metrics_port(app, client):
    app.config["METRICS_PORT"] = 9464
    r = client.get("/metrics", headers={"Host": "localhost:9464"}, environ_overrides={"SERVER_PORT": "443"})
    assert r.status_code == 404 and FIGURE not in r.get_data(as_text=True)


@pytest.mark.parametrize(
    "environ,problem",
    [
        ({"FLOORBOARD_METRICS_PORT": "²"}, "not a port number"),
        ({"FLOORBOARD_METRICS_PORT": "70000"}, "not a port number"),
        ({"FLOORBOARD_METRICS_TOKEN": "short"}, "at least 16"),
    ],
)
def test_a_bad_metrics_setting_is_refused_by_name(environ, problem):
    with pytest.raises(ValueError, match=problem):
        metrics_settings(environ)


def test_the_settings_come_from_the_environment(platform, monkeypatch):
    monkeypatch.setenv("FLOORBOARD_METRICS_TOKEN", TOKEN)
    monkeypatch.setenv("FLOORBOARD_METRICS_PORT", "9464")
    app = create_app({"TESTING": True}, platform=platform)
    assert app.config["METRICS_TOKEN"] == TOKEN and app.config["METRICS_PORT"] == 9464
    client = app.test_client()
    assert client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200
    assert client.get("/metrics").status_code == 401
