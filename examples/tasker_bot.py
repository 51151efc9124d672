"""A small tasker client for the Floorboard API: sign in, set skills, poll the feed, accept.

    FLOORBOARD_URL=http://127.0.0.1:5000 python examples/tasker_bot.py \\
        --email tasker@demo.floorboard.test --password demo-tasker-password \\
        --region springfield --skill yard-work=2400 --skill moving-help=2600 [--once] [--accept-handoffs]

The server is --base, else FLOORBOARD_URL, else http://127.0.0.1:5000 (`make run`).
It only uses `requests` and the public contract. A 409 on accept means another tasker was
first: the bot moves on. A 422 on the skills names the floor your rate is under.
With --accept-handoffs it also takes the tasks peers offer it (hand-offs): the first peer to
accept wins, so a 409 there means another peer was first, or the offer closed.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import requests


class FloorboardClient:
    def __init__(self, base: str, timeout: float = 10):
        self.base = base.rstrip("/")
        self.http = requests.Session()
        self.timeout = timeout

    def _call(self, method: str, path: str, **kwargs) -> requests.Response:
        return self.http.request(method, f"{self.base}/api/v1{path}", timeout=self.timeout, **kwargs)

    def sign_in(self, email: str, password: str) -> dict:
        r = self._call("POST", "/auth/token", json={"email": email, "password": password})
        if r.status_code != 201:
            raise SystemExit(f"sign-in failed ({r.status_code}): {r.json().get('message')}")
        self.http.headers["Authorization"] = f"Bearer {r.json()['token']}"
        return r.json()["user"]

    def set_skills(self, regions: list[str], skills: dict[str, int]) -> dict:
        r = self._call(
            "PUT",
            "/taskers/me/skills",
            json={"regions": regions, "skills": [{"category": c, "rate": rate} for c, rate in skills.items()]},
        )
        if r.status_code != 200:
            raise SystemExit(f"skills refused ({r.status_code}): {r.json().get('message')} {r.json().get('errors')}")
        return r.json()

    def feed(self, page_size: int = 20) -> tuple[list[dict], str]:
        """The open tasks, and the server's explanation of what is not open yet."""
        r = self._call("GET", "/tasks", params={"open": "true", "page_size": page_size})
        r.raise_for_status()
        body = r.json()
        return body["items"], (body.get("waiting") or {}).get("explanation", "")

    def accept(self, task_id: int) -> dict | None:
        r = self._call("POST", f"/tasks/{task_id}/accept")
        if r.status_code in (403, 409):  # someone else was first, or it closed meanwhile
            return None
        r.raise_for_status()
        return r.json()

    def handoff_offers(self) -> list[dict]:
        """Open hand-off offers made to this tasker, soonest to lapse first."""
        r = self._call("GET", "/taskers/me/handoffs")
        r.raise_for_status()
        return r.json()["incoming"]

    def accept_handoff(self, offer_id: int) -> dict | None:
        r = self._call("POST", f"/handoffs/{offer_id}/accept")
        if r.status_code in (403, 404, 409):  # another peer was first, or the offer closed
            return None
        r.raise_for_status()
        return r.json()


def take_handoffs(bot: FloorboardClient) -> None:
    for offer in bot.handoff_offers():
        task = bot.accept_handoff(offer["id"])
        if task:
            quote = task["quote"]
            print(
                f"took task {task['id']} ({task['title']}) handed on by tasker {offer['from_tasker_id']}: "
                f"{quote['payout']} cents for {quote['billable_minutes']} minutes"
            )
        else:
            print(f"hand-off offer {offer['id']} went to another peer, or closed")


def parse_skill(text: str) -> tuple[str, int]:
    category, _, rate = text.partition("=")
    if not rate.isdigit():
        raise argparse.ArgumentTypeError(f"{text!r}: give category=cents_an_hour, e.g. yard-work=2400")
    return category, int(rate)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--base",
        default=os.environ.get("FLOORBOARD_URL") or "http://127.0.0.1:5000",
        help="the server (default: FLOORBOARD_URL, else http://127.0.0.1:5000)",
    )
    parser.add_argument("--email", required=True)
    parser.add_argument("--password", required=True)
    parser.add_argument("--region", action="append", required=True)
    parser.add_argument("--skill", action="append", type=parse_skill, required=True)
    parser.add_argument("--every", type=float, default=5.0, help="seconds between polls")
    parser.add_argument("--once", action="store_true", help="poll the feed once, then stop")
    parser.add_argument(
        "--accept-handoffs", action="store_true", help="also take the tasks peers offer you (hand-offs)"
    )
    args = parser.parse_args(argv)

    bot = FloorboardClient(args.base)
    try:
        me = bot.sign_in(args.email, args.password)
    except requests.ConnectionError:
        print(
            f"no Floorboard server answered at {bot.base}; start one with `make run`, or pass --base URL "
            "(or set FLOORBOARD_URL)",
            file=sys.stderr,
        )
        return 2
    view = bot.set_skills(args.region, dict(args.skill))
    print(
        f"signed in as {me['email']}; skills: "
        + ", ".join(f"{s['category']} at {s['rate']}c/h (floor {s['floor']})" for s in view["skills"])
    )
    said = ""
    while True:
        if args.accept_handoffs:
            take_handoffs(bot)
        tasks, explanation = bot.feed()
        if not tasks and explanation != said:  # say why the feed is empty, once per change
            print(f"nothing to accept yet: {explanation}")
            said = explanation
        for task in tasks:
            won = bot.accept(task["id"])
            quote = task["quote"]
            if won:
                print(
                    f"accepted task {task['id']} ({task['title']}): {quote['payout']} cents for "
                    f"{quote['billable_minutes']} minutes"
                )
            else:
                print(f"task {task['id']} went to someone else")
        if args.once:
            return 0
        time.sleep(args.every)


if __name__ == "__main__":
    sys.exit(main())
