"""Clients on the web: sign up, post a task with a live quote preview, follow it, cancel it,
review the tasker; and everyone can read the tips boards. Server-rendered forms with CSRF; a
little JavaScript (static/app.js) refreshes the preview and the task's status, and every page
works without it. One blueprint ("web"), its routes in a module per area."""

from __future__ import annotations

from api.web import (  # noqa: F401 - each adds routes to bp
    account,
    account_data,
    accounts,
    checkout,
    client_tasks,
    close_account,
    community,
    conversation,
    email_prefs,
    questions,
    tasker_account,
    tasker_network,
    tasker_work,
    two_factor,
)
from api.web.site import bp

__all__ = ["bp"]
