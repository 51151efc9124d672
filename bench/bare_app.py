"""The yardstick for `POST /api/v1/tasks`: a trivial Flask JSON endpoint, served by gunicorn with
the same settings as `floorboard serve`, under the same load client."""

from __future__ import annotations

from flask import Flask, jsonify, request

app = Flask(__name__)


@app.post("/api/v1/tasks")
def post_task():
    body = request.get_json()
    return jsonify(id=1, status="posted", title=body.get("title")), 202
