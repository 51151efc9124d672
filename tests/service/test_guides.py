"""Guides: who may assemble one, what may go in it (the board's own tips and accepted answers,
each once), helpful marks (once, never your own), the top guide first, and a guide that drops an
item an operator hid since."""

from __future__ import annotations

import pytest

from marketplace.accounts.users import create_user
from marketplace.community.guides import create_guide, guide_page, mark_helpful, top_guides
from marketplace.community.models import Reputation
from marketplace.community.questions import accept_answer, answer_question, ask_question
from marketplace.community.tips import hide_tip, post_tip
from marketplace.errors import Conflict, Forbidden, Invalid, NotFound

PASSWORD = "correct horse battery"


def test_assembling_marking_and_ranking_guides(platform):
    with platform.uow() as uow:
        s = uow.session
        trusted, elite, newcomer, ops = (
            create_user(s, f"{n}@example.test", PASSWORD, role, n.title())
            for n, role in (("tess", "tasker"), ("ella", "tasker"), ("ned", "tasker"), ("ops", "operator"))
        )
        s.add(Reputation(tasker_id=trusted.id, category="yard-work", tier="trusted"))
        s.add(Reputation(tasker_id=elite.id, category="yard-work", tier="elite"))
        s.add(Reputation(tasker_id=elite.id, category="moving-help", tier="newcomer"))
        s.flush()
        tip = post_tip(uow, newcomer, "yard-work", "Edges first", "Then the middle.")
        other_board = post_tip(uow, newcomer, "moving-help", "Lift with legs", "Always.")
        q = ask_question(uow, trusted, "yard-work", "Shears?", "Which?")
        accepted = answer_question(uow, newcomer, q.id, "Topiary shears.")
        unaccepted = answer_question(uow, elite, q.id, "Electric.")
        accept_answer(uow, trusted, accepted.id)

        with pytest.raises(Forbidden):
            create_guide(uow, newcomer, "yard-work", "Mine", "Intro", [("tip", tip.id)])
        with pytest.raises(Forbidden):
            create_guide(uow, elite, "moving-help", "Mine", "Intro", [("tip", other_board.id)])  # newcomer there
        for items, expected in (
            ([("tip", other_board.id)], "not on the yard-work board"),
            ([("answer", unaccepted.id)], "only accepted answers"),
            ([("tip", tip.id), ("tip", tip.id)], "once"),
            ([], "1 to 30"),
            ([("video", 1)], "neither a tip nor an answer"),
        ):
            with pytest.raises(Invalid) as refused:
                create_guide(uow, trusted, "yard-work", "Guide", "Intro", items)
            assert expected in str(refused.value.errors["items"]), (items, refused.value.errors)
        with pytest.raises(Invalid):
            create_guide(uow, trusted, "yard-work", " ", "x" * 1001, [("tip", tip.id)])
        with pytest.raises(NotFound):
            create_guide(uow, trusted, "atlantis", "Guide", "Intro", [("tip", tip.id)])

        first = create_guide(
            uow, trusted, "yard-work", "Hedges", "In **order**.", [("answer", accepted.id), ("tip", tip.id)]
        )
        second = create_guide(uow, elite, "yard-work", "Lawns", "Short.", [("tip", tip.id)])
        page = guide_page(s, first.id)
        assert [(i["kind"], i["author"]) for i in page["items"]] == [("answer", "Ned"), ("tip", "Ned")]  # credited
        assert "<strong>order</strong>" in page["intro_html"]
        assert [g["id"] for g in top_guides(s, "yard-work")] == [second.id, first.id]  # newest first among equals
        mark_helpful(uow, elite, first.id)
        mark_helpful(uow, newcomer, first.id)
        with pytest.raises(Conflict):
            mark_helpful(uow, elite, first.id)
        with pytest.raises(Forbidden):
            mark_helpful(uow, trusted, first.id)
        top = top_guides(s, "yard-work")
        assert [g["id"] for g in top] == [first.id, second.id] and top[0]["helpful"] == 2 and top[0]["items"] == 2
        hide_tip(uow, ops, tip.id, "Copied")
        assert [i["kind"] for i in guide_page(s, first.id)["items"]] == ["answer"]
        with pytest.raises(NotFound):
            guide_page(s, 999_999)
        uow.commit()


def test_the_path_to_a_skilled_category_links_its_top_guides(platform):
    from marketplace.clock import utcnow
    from marketplace.network.path import path_view

    with platform.uow() as uow:
        s = uow.session
        mentor = create_user(s, "m@example.test", PASSWORD, "tasker", "Mo")
        learner = create_user(s, "l@example.test", PASSWORD, "tasker", "Lee")
        s.add(Reputation(tasker_id=mentor.id, category="mounting", tier="elite"))
        s.flush()
        tip = post_tip(uow, mentor, "mounting", "Find the stud", "Knock first.")
        guide = create_guide(uow, mentor, "mounting", "Mounting a TV", "Step by step.", [("tip", tip.id)])
        step = next(p for p in path_view(s, learner.id, utcnow())["categories"] if p["category"] == "mounting")
        assert step["guides"] == [{"id": guide.id, "title": "Mounting a TV", "author": "Mo", "helpful": 0}]
        uow.commit()
