"""Reviews: the other side of a task wrote one (never what it says: both are shown together), and
the reviews of a task are shown."""

from __future__ import annotations

from typing import Any

from events.payloads import ReviewRevealed, ReviewSubmitted
from marketplace.notifications.facts import Facts
from marketplace.notifications.kinds.kind import Kind
from marketplace.notifications.letters import Draft
from marketplace.notifications.links import Reader
from marketplace.tasks.models import Review, Task


def _stars(rating: int) -> str:
    return "★" * rating + "☆" * (5 - rating)


def _submitted_hears(e: ReviewSubmitted, task: Task, f: Facts) -> dict[Reader, int | None]:
    """The other side, asked to write theirs: never a side that has written it already (both are
    then shown, and the reveal says so)."""
    if e.by is None:
        return {"tasker": e.tasker_id}
    other: Reader = "client" if e.by == "tasker" else "tasker"
    if f.has_reviewed(e.task_id, other):
        return {}
    return {other: e.client_id if other == "client" else e.tasker_id}


def _comment(e: ReviewSubmitted, f: Facts) -> str:
    """A client's comment, from the review's row: the event never carries it (docs/privacy.md)."""
    row = f.session.get(Review, e.review_id)
    return row.comment if row is not None else ""


def _submitted(e: ReviewSubmitted, task: Task, f: Facts, to: Reader) -> Draft:
    if e.by is None:  # from before double-blind reviews: shown at once, with its stars
        assert e.rating is not None  # such an event always carries the client's rating
        comment = _comment(e, f)
        lines = [f"A client reviewed your work: {_stars(e.rating)}"] + ([f"“{comment}”"] if comment else [])
        return Draft(
            f"A new review: {e.rating} of 5",
            lines,
            f.links.tasker_profile(e.tasker_id),
            "Your profile",
            f.links.api_task(task.id),
        )
    # Never the stars: both reviews are shown together, later.
    who = "Your client" if to == "tasker" else "Your tasker"
    title = f"“{task.title}”"
    return Draft(
        f"{who} reviewed {title}",
        [
            f"{who} wrote a review of {title}. Write yours: both are shown together once it is in, "
            "or 14 days after completion. Until then no one reads either.",
        ],
        f.links.task(task.id, to),
        "Write yours",
        f.links.api_task(task.id),
    )


def _revealed_hears(e: ReviewRevealed, task: Task, f: Facts) -> dict[Reader, int | None]:
    return {
        "tasker": e.tasker_id if e.tasker_rating is not None else None,
        "client": e.client_id if e.client_rating is not None else None,
    }


def _revealed(e: ReviewRevealed, task: Task, f: Facts, to: Reader) -> Draft:
    if to == "tasker":
        rating, who, link = e.tasker_rating, "Your client", f.links.tasker_profile(e.tasker_id)
    else:
        rating, who, link = e.client_rating, "Your tasker", f.links.task(task.id, "client")
    assert rating is not None  # only the sides with a rating hear of it
    return Draft(
        f"The reviews of “{task.title}” are shown",
        [f"{who} rated you {_stars(rating)} ({rating} of 5)."],
        link,
        api=f.links.api_task(task.id),
    )


KINDS: list[Kind[Any]] = [
    Kind(
        "review.submitted",
        "The other side of a task reviewed it (shown when both are in)",
        "review.submitted",
        hears=_submitted_hears,
        letter=_submitted,
        readers=("client", "tasker"),
    ),
    Kind(
        "review.revealed",
        "The reviews of a task are shown",
        "review.revealed",
        hears=_revealed_hears,
        letter=_revealed,
        readers=("client", "tasker"),
    ),
]
