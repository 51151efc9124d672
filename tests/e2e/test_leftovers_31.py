"""Issue 31's leftovers: the give-back email's full stop, the start and accept refusals naming the
task by its title (never its number), the tasker's profile linking back to the task, and the
console's endorsement and tip times on a region's clock. SQLite only."""

from __future__ import annotations

import html
import re
import shutil
from datetime import UTC, timedelta
from zoneinfo import ZoneInfo

import pytest

from marketplace.accounts.models import User
from marketplace.accounts.users import create_user
from marketplace.bootstrap import bootstrap
from marketplace.clock import utcnow
from marketplace.community.models import Reputation
from marketplace.community.tips import post_tip
from marketplace.errors import Conflict, Forbidden
from marketplace.floors.zones import label
from marketplace.network.connections import accept_connection, request_connection
from marketplace.network.endorsements import endorse
from marketplace.tasks.lifecycle import accept_task, cancel_by_tasker, start_task
from marketplace.tasks.posting import TaskDraft, post_task
from tests.conftest import settings_for
from tests.e2e.test_tasker_network_web import PASSWORD, START, connect, offer, signed_in, world  # noqa: F401
from tests.e2e.test_truths_two_emails import _emails, _people, _run
from tests.service.test_task_use_cases import draft
from tests.support import NO_WINDOW, Pipeline, book, enrol_two_factor, seeded


@pytest.fixture
def market(sqlite_template, tmp_path):
    path = tmp_path / "floorboard.db"
    shutil.copy(sqlite_template, path)
    platform = seeded(bootstrap(settings_for(f"sqlite:///{path}", priority_window=NO_WINDOW)))
    try:
        yield platform
    finally:
        platform.close()


def _priced(platform) -> None:
    pipeline = Pipeline(platform, ["pricing"])
    pipeline.drain()
    pipeline.close()


def _booked(platform, cara: User, **changes) -> int:
    task_id = _run(platform, post_task, cara.id, draft(title="Trim the hedge", **changes)).id
    _priced(platform)
    book(platform, task_id)
    return task_id


def _given_back_line(platform, ann: User, task_id: int, reason: str) -> str:
    _run(platform, cancel_by_tasker, ann, task_id, reason)
    pipeline = Pipeline(platform, ["notifications"])
    pipeline.drain()
    pipeline.close()
    said = [text for kind, _, subject, text in _emails(platform) if "gave" in subject and "back" in subject]
    assert said, _emails(platform)
    return next(line for line in said[-1].splitlines() if "gave your task" in line)


@pytest.mark.parametrize(
    ("reason", "ends"),
    [
        ("Sorry, I broke my arm.", "“Sorry, I broke my arm.”"),
        ("Can someone else do it?", "“Can someone else do it?”"),
        ("Too far for me!", "“Too far for me!”"),
        ("My van broke down", "“My van broke down”."),
        ("", "“Cancelled by the tasker.”"),  # the default reason ends a sentence of its own
    ],
)
def test_the_give_back_email_puts_no_second_full_stop_after_the_reason(market, reason, ends):
    cara, ann = _people(market)
    task_id = _booked(market, cara)
    _run(market, accept_task, ann, task_id, NO_WINDOW)
    line = _given_back_line(market, ann, task_id, reason)
    assert line.rstrip().endswith(ends), line
    assert not line.rstrip().endswith(("..", ".”.", "?”.", "!”.")), line


def test_a_start_refused_names_the_task_by_its_title_not_its_number(market):
    cara, ann = _people(market)
    task_id = _booked(market, cara, starts=utcnow() + timedelta(days=11))
    _run(market, accept_task, ann, task_id, NO_WINDOW)
    with pytest.raises(Conflict) as early:
        _run(market, start_task, ann, task_id)
    said = early.value.message
    assert said.startswith("“Trim the hedge” can not be started yet: its start window runs from "), said
    assert f"Task {task_id}" not in said and "C" in said.split("(it starts at ")[1]  # on Springfield's clock
    with pytest.raises(Conflict) as late:
        _run(market, start_task, ann, task_id, timedelta(days=30), timedelta(days=-20))
    assert late.value.message.startswith("“Trim the hedge” can no longer be started: "), late.value.message


def test_an_accept_refused_names_no_task_number(market):
    cara, ann = _people(market)
    task_id = _booked(market, cara)
    _run(market, accept_task, ann, task_id, NO_WINDOW)
    with pytest.raises(Conflict) as taken:
        _run(market, accept_task, ann, task_id, NO_WINDOW)
    # Not open any more: said without the title, since whoever asks may have no right to read it.
    assert taken.value.message == "This task is no longer open (it is accepted).", taken.value.message
    other = _run(market, post_task, cara.id, draft(title="Paint the shed", category="moving-help")).id
    _priced(market)
    book(market, other)
    with pytest.raises(Forbidden) as not_for_her:
        _run(market, accept_task, ann, other, NO_WINDOW)
    assert not_for_her.value.message.startswith("This task is not open to you: "), not_for_her.value.message
    assert f"Task {other}" not in not_for_her.value.message


def _held(platform, client_id: int, holder_id: int) -> int:
    """A booked task `holder_id` accepted (no description: the profile links are what is read here)."""
    spec = TaskDraft(
        category="yard-work",
        region="springfield",
        title="Rake the leaves",
        description="",
        estimated_minutes=60,
        starts_at=START,
    )
    task_id = _run(platform, post_task, client_id, spec).id
    _priced(platform)
    book(platform, task_id)
    with platform.uow() as uow:
        accept_task(uow, uow.session.get_one(User, holder_id), task_id, NO_WINDOW)
        uow.commit()
    return task_id


def _profile_links(page: str, tasker_id: int) -> list[str]:
    return [html.unescape(h) for h in re.findall(rf'href="(/taskers/{tasker_id}\?[^"]*)"', page)]


def _back_link(web, href: str) -> tuple[str, str]:
    profile = web.get(href).get_data(as_text=True)
    found = re.search(r'<a href="([^"]+)" data-back>([^<]+)</a>', profile)
    assert found, profile
    return found.group(1), found.group(2)


def test_a_tasker_profile_opened_from_a_task_or_an_offer_links_back_to_it(world):  # noqa: F811
    app, platform, ids = world
    connect(platform, ids["ann"], ids["bob"])
    task_id = _held(platform, ids["casey"], ids["ann"])
    [offer_id] = offer(platform, task_id, ids["ann"], [ids["bob"]])
    bob, token = signed_in(app, "bob")
    ann, _ = signed_in(app, "ann")

    # The offer's page, from both sides: back to this offer, not to the list of offers.
    to_bob = _profile_links(bob.get(f"/handoffs/{offer_id}").get_data(as_text=True), ids["ann"])
    assert to_bob == [f"/taskers/{ids['ann']}?from=/handoffs/{offer_id}"], to_bob
    assert _back_link(bob, to_bob[0]) == (f"/handoffs/{offer_id}", "Back to the offer")
    from_ann = _profile_links(ann.get(f"/handoffs/{offer_id}").get_data(as_text=True), ids["bob"])
    assert from_ann == [f"/taskers/{ids['bob']}?from=/handoffs/{offer_id}"], from_ann

    # Bob takes it: Ann's acceptance in his timeline links to her profile, and back to the task,
    # from the page and from the status fragment the page polls (served at /work/<id>/status).
    assert bob.post(f"/handoffs/{offer_id}/accept", data={"csrf_token": token}).status_code == 303
    for path in (f"/work/{task_id}", f"/work/{task_id}/status"):
        links = _profile_links(bob.get(path).get_data(as_text=True), ids["ann"])
        assert links and set(links) == {f"/taskers/{ids['ann']}?from=/work/{task_id}"}, (path, links)
        assert _back_link(bob, links[0]) == (f"/work/{task_id}", "Back to the task")


def _operator(app, platform):
    with platform.uow() as uow:
        create_user(uow.session, "ops@example.test", PASSWORD, "operator")
        uow.commit()
    enrol_two_factor(platform, "ops@example.test")  # operators must have it
    return signed_in(app, "ops")[0]


def _card(page: str, attribute: str, row_id: int) -> str:
    return page.split(f'{attribute}="{row_id}"')[1].split("</section>")[0]


def test_console_endorsement_and_tip_times_are_on_the_taskers_first_region_clock(world):  # noqa: F811
    app, platform, ids = world
    chicago = ZoneInfo("America/Chicago")  # Springfield's clock
    with platform.uow() as uow:
        ann, bob = uow.session.get_one(User, ids["ann"]), uow.session.get_one(User, ids["bob"])
        nomad = create_user(uow.session, "nomad@example.test", PASSWORD, "tasker", "Nomad")  # no region
        request_connection(uow, bob, ann.id)
        accept_connection(uow, ann, bob.id)
        uow.session.add(Reputation(tasker_id=bob.id, category="yard-work", completed=3, accepted=3))
        uow.session.flush()
        endorsement = endorse(uow, bob, ann.id, "yard-work", "Knows hedges")
        local_tip = post_tip(uow, ann, "yard-work", "Edges first", "Then the middle.")
        far_tip = post_tip(uow, nomad, "yard-work", "Oil the shears", "Every spring.")
        uow.commit()
        given, written, far = endorsement.given_at, local_tip.created_at, far_tip.created_at
        endorsement_id, local_id, far_id = endorsement.id, local_tip.id, far_tip.id
    ops = _operator(app, platform)

    page = ops.get("/console/endorsements").get_data(as_text=True)
    card = _card(page, "data-endorsement", endorsement_id)
    assert f">{label(given, chicago)}</time>" in card and 'data-clock="springfield"' in card, card
    assert label(given, chicago).endswith(("CST", "CDT")) and " UTC" not in card

    page = ops.get("/console/tips").get_data(as_text=True)
    here = _card(page, "data-tip", local_id)
    assert f">{label(written, chicago)}</time>" in here and 'data-clock="springfield"' in here, here
    there = _card(page, "data-tip", far_id)  # an author with no region: UTC, and said so
    assert f">{label(far, UTC)}</time>" in there and label(far, UTC).endswith(" UTC") and "data-clock" not in there


def test_the_priced_email_names_the_clients_offer_when_the_offer_set_the_rate(market):
    cara, _ = _people(market)
    _run(market, post_task, cara.id, draft(title="Mow the lawn", offered_rate=4000))  # floor: 24.00 an hour
    _run(market, post_task, cara.id, draft(title="Weed the beds"))
    _priced(market)
    pipeline = Pipeline(market, ["notifications"])
    pipeline.drain()
    pipeline.close()
    priced = {subject: text for _, _, subject, text in _emails(market) if "is priced" in subject}
    offer = next(text for subject, text in priced.items() if "Mow the lawn" in subject)
    floor = next(text for subject, text in priced.items() if "Weed the beds" in subject)
    assert "from your offer of 40.00 USD an hour." in offer and "floor" not in offer, offer
    assert "from the category's floor." in floor and "your offer" not in floor, floor


@pytest.mark.parametrize(
    ("reason", "ends"),
    [
        ("Not this week", "“Not this week”."),
        ("Can't, sorry!", "“Can't, sorry!”"),
        ("", "your offer of “Rake the leaves”."),
    ],
)
def test_the_hand_off_declined_email_ends_its_sentence_once(world, reason, ends):  # noqa: F811
    from marketplace.network.handoffs import decline_handoff
    from tests.e2e.test_tasker_network_web import held_task

    _, platform, ids = world
    connect(platform, ids["ann"], ids["bob"])
    task_id = held_task(platform, ids["casey"], ids["ann"])
    (offer_id,) = offer(platform, task_id, ids["ann"], [ids["bob"]])
    with platform.uow() as uow:
        decline_handoff(uow, uow.session.get_one(User, ids["bob"]), offer_id, reason)
        uow.commit()
    pipeline = Pipeline(platform, ["notifications"])
    pipeline.drain()
    pipeline.close()
    (text,) = [text for _, _, subject, text in _emails(platform) if "declined" in subject]
    line = next(line for line in text.splitlines() if "declined your offer" in line).rstrip()
    assert line.endswith(ends), line
    assert not line.endswith(("..", "”.”", "!”.", "?”.")), line


def test_make_run_passes_its_options_to_floorboard_dev():
    import subprocess
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    dry = subprocess.run(
        ["make", "-n", "-o", ".venv/.installed", "run", "ARGS=--port 5001 --mail-port 8026"],
        cwd=root,
        capture_output=True,
        text=True,
        check=True,
    )
    assert "floorboard dev --port 5001 --mail-port 8026" in dry.stdout, dry.stdout


def test_the_prices_page_says_who_takes_a_commission(market):
    from api import create_app
    from marketplace.floors.versions import FloorChange, set_floor

    web = create_app({"TESTING": True}, platform=market).test_client()
    text = html.unescape(re.sub(r"\s+", " ", web.get("/prices/springfield").get_data(as_text=True)))
    assert "the tasker is paid the whole price: no commission is taken here." in text
    assert "less the commission" not in text
    with market.uow() as uow:
        set_floor(uow, FloorChange("yard-work", "springfield", "test", {"tasker_commission_bps": 1000}), None, "ops")
        uow.commit()
    text = html.unescape(re.sub(r"\s+", " ", web.get("/prices/springfield").get_data(as_text=True)))
    assert (
        "the tasker is paid the price less the platform's commission (Yard work 10%; none in the other categories)."
        in text
    )


def test_the_price_charts_keep_every_label_inside_and_the_phone_chart_has_few():
    from datetime import datetime

    from api.web.prices import LABEL_HALF, NARROW, WIDE, draw

    start = datetime(2026, 1, 5, tzinfo=UTC)
    timeline = {"yard-work": [(start, 2400), (start + timedelta(days=200), 2600)]}
    for width in (WIDE, NARROW):
        chart = draw(timeline, {"yard-work": "Yard work"}, "USD", width)
        assert chart is not None and chart.width == width
        for x, _, anchor in chart.x_ticks:
            left = {"start": x, "middle": x - LABEL_HALF, "end": x - 2 * LABEL_HALF}[anchor]
            assert 0 <= left and left + 2 * LABEL_HALF <= width, (width, x, anchor)
        if width == NARROW:
            assert 1 <= len(chart.x_ticks) <= 3, chart.x_ticks


def test_the_boards_activity_is_counted_on_the_regions_day(market):
    """A tip at 03:00 UTC is the evening before in Springfield (Chicago): Springfield's market page
    shows it on that local day, not on the UTC day."""
    from events.envelope import CloudEvent
    from marketplace.market.health import series
    from marketplace.market.projection import project_market_event

    late = utcnow().replace(hour=3, minute=0, second=0, microsecond=0) - timedelta(days=2)
    event = CloudEvent("tip.posted", "tip/1", {"category": "yard-work", "at": late, "tip_id": 1, "tasker_id": 1})
    with market.uow() as uow:
        project_market_event(uow, event)
        uow.commit()
    chicago = late.astimezone(ZoneInfo("America/Chicago")).date()
    assert chicago != late.date()
    with market.uow() as uow:
        days = {
            d.day: d for d in series(uow.session, "yard-work", "springfield", chicago - timedelta(days=1), late.date())
        }
    assert days[chicago].tips == 1 and days[late.date()].tips == 0
