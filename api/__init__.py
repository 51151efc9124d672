"""The Flask app: create_app(), the REST blueprints (flask-smorest + marshmallow), health and
metrics, and the CLI. Views are thin: validate, call a use case in a unit of work, render."""

from __future__ import annotations

from flask import Flask
from flask_smorest import Api
from flask_wtf.csrf import CSRFProtect
from werkzeug.routing import IntegerConverter

from api.input import MAX_BODY_BYTES, StrictJSONProvider
from marketplace.bootstrap import Platform, bootstrap
from marketplace.settings import Settings


class RowId(IntegerConverter):
    """`<int:...>` in every route: an id larger than the database's integer is a 404, not an
    overflow error (PostgreSQL's integer columns stop at 2**31 - 1)."""

    MAX = 2**31 - 1

    def __init__(self, map, *args, **kwargs):  # noqa: A002 - werkzeug's parameter name
        kwargs.setdefault("max", self.MAX)
        super().__init__(map, *args, **kwargs)


def create_app(test_config: dict | None = None, platform: Platform | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=True)
    settings = platform.settings if platform else Settings.from_env()
    app.config.from_mapping(
        SECRET_KEY=settings.secret_key,
        API_TITLE="Floorboard",
        API_VERSION="v1",
        OPENAPI_VERSION="3.1.0",
        OPENAPI_URL_PREFIX="/api",
        OPENAPI_JSON_PATH="openapi.json",
        OPENAPI_SWAGGER_UI_PATH="/docs",
        OPENAPI_SWAGGER_UI_URL="/api/docs/assets/",  # served from the swagger-ui-py package (api/ops.py)
        API_SPEC_OPTIONS={
            "info": {"description": "Tasks priced by category fee floors, never by auction."},
            "components": {"securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}}},
        },
        JSON_SORT_KEYS=False,
        MAX_CONTENT_LENGTH=MAX_BODY_BYTES,  # a larger body is a 413 before anything reads it
        MAX_FORM_MEMORY_SIZE=MAX_BODY_BYTES,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.https_only,
    )
    if test_config:
        app.config.update(test_config)
    if not app.config["SECRET_KEY"]:
        raise RuntimeError(
            "SECRET_KEY is not set. Export SECRET_KEY (any long random string); `floorboard dev` makes one for you."
        )
    app.json = StrictJSONProvider(app)
    app.extensions["floorboard"] = platform or bootstrap(settings)

    from api import (  # noqa: F401
        console,
        console_market,
        console_network,
        console_pipeline,
        dev_mail,
        errors,
        headers,
        limits,
        ops,
    )
    from api.input import init_app as refuse_unstorable_text
    from api.rest import (
        account_closure,
        account_sessions,
        accounts,
        boards,
        catalog,
        clients,
        data_export,
        floors,
        market,
        messages,
        network,
        notifications,
        payments,
        taskers,
        tasks,
        two_factor,
        webhooks,
    )
    from api.web import pages, prices, sign_in, unsubscribe

    refuse_unstorable_text(app)
    csrf = CSRFProtect(app)  # every web form; the JSON API authenticates by bearer token, not cookies
    limits.init_app(app)
    app.url_map.converters["int"] = RowId
    api = Api(app)
    api.register_converter(RowId, lambda _: {"type": "integer", "minimum": 0, "maximum": RowId.MAX})
    modules = (
        accounts,
        account_sessions,
        account_closure,
        catalog,
        clients,
        floors,
        market,
        tasks,
        taskers,
        network,
        messages,
        notifications,
        webhooks,
        boards,
        payments,
        two_factor,
        data_export,
    )
    for module in modules:
        api.register_blueprint(module.blp)
        csrf.exempt(module.blp)
    app.register_blueprint(sign_in.bp)
    sign_in.init_app(app)
    app.register_blueprint(console.bp)
    app.register_blueprint(pages.bp)
    app.register_blueprint(prices.bp)
    app.register_blueprint(payments.webhooks)
    dev_mail.init_app(app)
    app.register_blueprint(unsubscribe.bp)
    csrf.exempt(unsubscribe.bp)  # the signed token is the authority (see api/web/unsubscribe.py)
    csrf.exempt(payments.webhooks)  # Stripe signs its webhooks; there is no session to forge
    headers.init_app(app, settings.stripe_js_url, settings.https_only)

    errors.init_app(app)
    ops.init_app(app)
    return app
