"""The WSGI entry point for `floorboard serve` (gunicorn). Needs SECRET_KEY in the environment."""

from api import create_app

app = create_app()
