"""The client's side of a task's conversation: writing on the task page (the thread itself is
shown, and kept current, by the task page's status box), and the unread count in the header."""

from __future__ import annotations

from flask import flash, g, redirect, url_for

from api.limits import messages_limit
from api.platform import platform, unit_of_work
from api.web.forms import MessageForm
from api.web.sign_in import signed_in, web_requires, web_user
from api.web.site import bp, own_task
from marketplace.conversations.messages import description_for, mask_contact_details, send_message, unread
from marketplace.errors import DomainError
from marketplace.tasks.models import Task


@bp.app_template_global()
def unread_messages() -> int:
    """Messages waiting for the signed-in client or tasker (looked up once per request)."""
    if "unread_messages" not in g:
        user = web_user()
        g.unread_messages = 0
        if user is not None and user.role in ("client", "tasker"):
            with unit_of_work() as unit:
                g.unread_messages = unread(unit.session, user)["total"]
    return g.unread_messages


@bp.app_template_global()
def public_description(task) -> str:
    """A task's description as the signed-in reader may read it (contact details masked as in
    messages: see `description_for`). Every page showing a description to a tasker uses this."""
    mask = platform().policy.mask_contact_details
    if isinstance(task, Task):
        return description_for(task, web_user(), mask)
    # A task's public fields only (a hand-off offer's page): nothing says the reader may read it whole.
    text = task.get("description") or ""
    return mask_contact_details(text)[0] if mask and text else text


@bp.post("/tasks/<int:task_id>/messages")
@web_requires("client")
@messages_limit
def send(task_id: int):
    form = MessageForm()
    if not form.validate_on_submit():
        flash(
            "Write a message of at most 2,000 characters." if form.body.errors else "The form expired: send it again."
        )
        return redirect(url_for("web.task_page", task_id=task_id, _anchor="conversation"))
    with unit_of_work() as unit:
        own_task(unit.session, task_id)
        try:
            send_message(unit, signed_in(), task_id, form.body.data, platform().policy.mask_contact_details)
            unit.commit()
        except DomainError as exc:
            flash(exc.message)
    return redirect(url_for("web.task_page", task_id=task_id, _anchor="conversation"))
