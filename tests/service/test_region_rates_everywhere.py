"""A tasker's rate in the task's region decides everywhere a rate is compared, not the skill's
rate: how many taskers a task reaches (and whether it is stranded), the peers a held task may be
handed to, the rebooking preview's note and the rates a client rebooks at. Sam's Seattle rate is
above the task's pay while his skill's rate is below it; Tia's is the reverse (use cases on
SQLite, no HTTP)."""

from __future__ import annotations

from marketplace.accounts.users import create_user
from marketplace.clock import utcnow
from marketplace.network.handoffs import candidates, offer_handoff
from marketplace.payments.models import PayoutAccount
from marketplace.taskers.skills import SkillSpec, set_skills
from marketplace.tasks.lifecycle import accept_task, complete_task, start_task
from marketplace.tasks.models import Task
from marketplace.tasks.reach import reach_view, stranded_tasks
from marketplace.tasks.rebooking import addressee_rate_note, my_taskers
from tests.service.test_task_use_cases import priced_and_booked, run, who
from tests.support import ANY_TIME, NO_WINDOW

PAYS = 2900  # the Seattle task's rate; Seattle's yard-work floor is 27.00


def tasker(platform, name: str, base: int, seattle: int | None) -> int:
    """A tasker working yard-work in Springfield and Seattle at `base`, with Seattle's own rate."""
    with platform.uow() as uow:
        user = create_user(uow.session, f"{name}@example.test", "correct horse battery", "tasker")
        own = {"seattle": seattle} if seattle is not None else {}
        set_skills(uow, user.id, ["springfield", "seattle"], [SkillSpec("yard-work", base, own)])
        uow.session.add(PayoutAccount(tasker_id=user.id, account_id=f"acct_null_{name}"))
        uow.commit()
        return user.id


def sam(platform) -> int:
    return tasker(platform, "sam", 2700, 3300)  # below the pay in general, above it in Seattle


def tia(platform) -> int:
    return tasker(platform, "tia", 3100, 2800)  # above the pay in general, below it in Seattle


def seattle_task(market) -> int:
    return priced_and_booked(market, region="seattle", offered_rate=PAYS)


def reach_of(platform, task_id: int) -> dict:
    with platform.uow() as uow:
        view = reach_view(uow.session, uow.session.get_one(Task, task_id), utcnow())
    assert view is not None
    return view


def test_a_task_reaches_the_taskers_whose_rate_in_its_region_it_meets(market):
    platform, _, _ = market
    sam(platform)
    task_id = seattle_task(market)
    reach = reach_of(platform, task_id)
    assert (reach["taskers"], reach["asking_more"], reach["lowest_asked"], reach["stranded"]) == (0, 1, 3300, True)
    assert "33.00 USD/h" in reach["advice"][0]
    with platform.uow() as uow:
        assert [t.id for t, _ in stranded_tasks(uow.session, utcnow())] == [task_id]
    tia(platform)
    reach = reach_of(platform, task_id)
    assert (reach["taskers"], reach["asking_more"], reach["lowest_asked"], reach["stranded"]) == (1, 1, 3300, False)
    with platform.uow() as uow:
        assert stranded_tasks(uow.session, utcnow()) == []


def test_a_held_task_is_handed_only_to_peers_whose_rate_in_its_region_it_meets(market):
    platform, _, _ = market
    hal = tasker(platform, "hal", 2700, None)
    sam_id, tia_id = sam(platform), tia(platform)
    task_id = seattle_task(market)
    holder = who(platform, hal)
    run(platform, accept_task, holder, task_id, NO_WINDOW)
    with platform.uow() as uow:
        task = uow.session.get_one(Task, task_id)
        found = candidates(uow.session, holder, task, NO_WINDOW, utcnow())
    assert [c["id"] for c in found] == [tia_id] and sam_id not in {c["id"] for c in found}
    [made] = run(platform, offer_handoff, holder, task_id, [tia_id], "", NO_WINDOW)
    assert made.to_tasker_id == tia_id


def test_the_rebooking_note_reads_the_addressees_rate_in_the_tasks_region(market):
    platform, _, people = market
    sam_id, tia_id = sam(platform), tia(platform)
    with platform.uow() as uow:
        note = addressee_rate_note(uow.session, sam_id, "yard-work", "seattle", PAYS)
        assert note is not None and "Seattle" in note and "33.00 USD/h" in note and "offer 33.00 USD/h" in note
        assert addressee_rate_note(uow.session, sam_id, "yard-work", "springfield", PAYS) is None
        assert addressee_rate_note(uow.session, tia_id, "yard-work", "seattle", PAYS) is None
        note = addressee_rate_note(uow.session, tia_id, "yard-work", "springfield", PAYS)
        assert note is not None and "Springfield" in note and "31.00 USD/h" in note
        elsewhere = addressee_rate_note(uow.session, people["ann"], "yard-work", "seattle", PAYS)
        assert (elsewhere or "").endswith(" does not work in Seattle, WA now.")


def test_the_taskers_a_client_rebooks_carry_their_rate_in_each_region(market):
    platform, _, people = market
    sam_id = sam(platform)
    task_id = priced_and_booked(market, offered_rate=2700)  # in Springfield, at Sam's rate there
    sam_user = who(platform, sam_id)
    run(platform, accept_task, sam_user, task_id, NO_WINDOW)
    run(platform, start_task, sam_user, task_id, ANY_TIME)
    run(platform, lambda uow, *a: complete_task(uow, *a, tolerance=ANY_TIME), sam_user, task_id, 60)
    with platform.uow() as uow:
        [mine] = my_taskers(uow.session, people["client"])
    assert mine["tasker_id"] == sam_id and mine["rates"] == {"yard-work": 2700}
    assert mine["region_rates"] == {"yard-work": {"springfield": 2700, "seattle": 3300}}
