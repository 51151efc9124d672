"""A small tasker client for the Floorboard API: sign in, set skills, poll the feed, accept.

    FLOORBOARD_URL=http://127.0.0.1:5000 .venv/bin/python examples/tasker_bot.py \\
        --email tasker@demo.floorboard.test --password demo-tasker-password \\
        --region springfield --skill yard-work=2400 --skill moving-help=2600 [--once] [--accept-handoffs]
        [--webhook PORT [--webhook-url URL]]

The server is --base, else FLOORBOARD_URL, else http://127.0.0.1:5000 (`make run`).
It only uses `requests` and the public contract. A 409 on accept means another tasker was
first: the bot moves on. A 422 on the skills names the floor your rate is under.
With --accept-handoffs it also takes the tasks peers offer it (hand-offs): the first peer to
accept wins, so a 409 there means another peer was first, or the offer closed.
With --webhook PORT it does not poll: it listens on 127.0.0.1:PORT, registers that address (or
--webhook-url, the public https address that forwards to it) for `task.available` and
`task.handoff_offered`, verifies each delivery's signature with the `standardwebhooks` package,
and accepts from the notification. A delivery whose signature does not verify gets a 401.
`make run` (`floorboard dev`) accepts the plain http://127.0.0.1:PORT/ address; a served
Floorboard takes only a public https one, so there give --webhook-url.
"""

from __future__ import annotations

import argparse
import os
import queue
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

try:
    import requests
    from standardwebhooks.webhooks import Webhook, WebhookVerificationError
except ModuleNotFoundError as missing:  # run with a Python that lacks the project's packages
    sys.exit(
        f"tasker_bot needs the package {missing.name!r}, which this Python ({sys.executable}) does not have.\n"
        "Run it with the project's environment: .venv/bin/python examples/tasker_bot.py ... "
        "(`make run` creates .venv), or install requests and standardwebhooks."
    )


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

    def register_webhook(self, url: str, kinds: list[str]) -> dict:
        r = self._call("POST", "/taskers/me/webhooks", json={"url": url, "kinds": kinds})
        if r.status_code != 201:
            hint = ""
            if url.startswith("http://"):
                hint = (
                    " (only a development server, `make run`, takes a loopback address: give --webhook-url https://...)"
                )
            raise SystemExit(
                f"webhook refused ({r.status_code}): {r.json().get('message')} {r.json().get('errors')}{hint}"
            )
        return r.json()

    def delete_webhook(self, endpoint_id: int) -> None:
        self._call("DELETE", f"/taskers/me/webhooks/{endpoint_id}")


def listen(port: int, secret: str, inbox: "queue.Queue[dict]") -> ThreadingHTTPServer:
    """An HTTP server on 127.0.0.1:port that verifies each delivery and queues its payload."""
    verifier = Webhook(secret)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("content-length") or 0))
            try:
                payload = verifier.verify(body, {k.lower(): v for k, v in self.headers.items()})
            except WebhookVerificationError:
                self.send_response(401)
                self.end_headers()
                return
            inbox.put(payload)
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def on_webhooks(bot: "FloorboardClient", args) -> int:
    """Accept from notifications instead of polling; with --once, stop after the first task won."""
    inbox: queue.Queue[dict] = queue.Queue()
    url = args.webhook_url or f"http://127.0.0.1:{args.webhook}/"
    kinds = ["task.available"] + (["task.handoff_offered"] if args.accept_handoffs else [])
    server = None
    endpoint = bot.register_webhook(url, kinds)
    try:
        server = listen(args.webhook, endpoint["secret"], inbox)
        print(f"listening on 127.0.0.1:{args.webhook} for {', '.join(kinds)}")
        deadline = time.monotonic() + args.wait if args.once else None
        while deadline is None or time.monotonic() < deadline:
            try:
                payload = inbox.get(timeout=1.0)
            except queue.Empty:
                continue
            data = payload["data"]
            if payload["type"] == "task.available":
                won = bot.accept(data["task_id"])
                print(f"notified of task {data['task_id']}: " + ("accepted" if won else "went to someone else"))
            elif payload["type"] == "task.handoff_offered":
                won = bot.accept_handoff(data["offer_id"])
                print(f"offered task {data['task_id']} by a peer: " + ("took it" if won else "went to another peer"))
            else:
                won = None
            if won and args.once:
                return 0
        print("no task won before --wait ran out")
        return 1
    finally:
        if server is not None:
            server.shutdown()
            server.server_close()
        bot.delete_webhook(endpoint["id"])


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
    parser.add_argument(
        "--webhook", type=int, metavar="PORT", help="listen for webhooks on 127.0.0.1:PORT instead of polling"
    )
    parser.add_argument(
        "--webhook-url", help="the public https URL that reaches PORT (default: http://127.0.0.1:PORT/)"
    )
    parser.add_argument("--wait", type=float, default=60.0, help="with --webhook --once: seconds to wait for a task")
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
    for line in (view.get("changed") or {}).get("summary", []):  # what replacing the skills changed
        print(f"  {line}")
    if args.webhook:
        return on_webhooks(bot, args)
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
