"""Tasks: clients post (202, priced downstream) and anyone entitled reads one back."""
from __future__ import annotations

from flask import g
from flask.views import MethodView
from flask_smorest import Blueprint, abort
from sqlmodel import select

from api.auth import SECURITY, requires
from api.platform import uow
from api.schemas import TaskCreateSchema, TaskSchema
from marketplace.models import Quote, Role, Task, TaskStatus
from marketplace.tasks import TaskDraft, post_task

blp = Blueprint("tasks", __name__, url_prefix="/api/v1/tasks", description="Posting and following tasks")


def task_view(session, task: Task) -> dict:
    q = session.exec(select(Quote).where(Quote.task_id == task.id, Quote.kind == "posted")).first()
    return {**task.model_dump(), "quote": q}


def may_see(user, task: Task) -> bool:
    if user.role == Role.operator:
        return True
    if user.role == Role.client:
        return task.client_id == user.id
    return task.tasker_id == user.id or task.status == TaskStatus.priced


@blp.route("")
class TaskList(MethodView):
    @requires("client")
    @blp.arguments(TaskCreateSchema)
    @blp.response(202, TaskSchema)
    @blp.doc(security=SECURITY)
    def post(self, data):
        """Post a task; it is priced asynchronously (status `posted`, then `priced` or `rejected`)"""
        with uow() as unit:
            task = post_task(unit, g.user.id, TaskDraft(**data))
            unit.commit()
            return task_view(unit.session, task)


@blp.route("/<int:task_id>")
class TaskItem(MethodView):
    @requires()
    @blp.response(200, TaskSchema)
    @blp.doc(security=SECURITY)
    def get(self, task_id: int):
        """A task, with its quote once it is priced"""
        with uow() as unit:
            task = unit.session.get(Task, task_id)
            if task is None or not may_see(g.user, task):
                abort(404, message=f"No task {task_id} that you can see.")
            return task_view(unit.session, task)
