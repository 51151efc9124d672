"""Where a notice sends its reader. The domain names the place (a task, as its client or its tasker
sees it; the offers waiting for a tasker) and never writes a URL: the entrypoint that knows the
site's pages builds a `Links` and hands it in (workers/links.py), so moving a page is a change in
one place.

Every link is a web page where a person reads and acts, signed in (a signed-out reader is sent to
sign in first, then on to it): never an API resource, never something to send a request to. A
letter may also name the API call behind the same thing, for people who build apps on Floorboard
(the `api_*` pointers: a method and a path, shown as text in the letter's footer, never as a link
or as the action).

`reader` is the side reading the notice, "client" or "tasker": the same task has a page for its
client and one for its tasker.
"""

from __future__ import annotations

from typing import Literal, Protocol

Reader = Literal["client", "tasker"]


class Links(Protocol):
    def task(self, task_id: int, reader: Reader) -> str:
        """The task, where `reader` follows and acts on it."""
        ...

    def messages(self, task_id: int, reader: Reader) -> str:
        """The task's conversation, where `reader` answers."""
        ...

    def decline_rebooking(self, task_id: int) -> str:
        """Where the tasker a rebooking is addressed to accepts or declines it."""
        ...

    def handoff_offers(self) -> str:
        """The hand-off offers to and from the reading tasker."""
        ...

    def accept_handoff(self, offer_id: int) -> str:
        """One hand-off offer, where its peer takes or declines it (and its sender sees how it went)."""
        ...

    def tasker_profile(self, tasker_id: int) -> str:
        """A tasker's public profile (where a peer endorses them)."""
        ...

    def payouts(self) -> str:
        """The reading tasker's earnings and payouts."""
        ...

    def enable_webhook(self, endpoint_id: int) -> str:
        """A tasker's webhook endpoint and its deliveries, where they enable it again."""
        ...

    def network(self) -> str:
        """The reading tasker's connections."""
        ...

    def connection_requests(self) -> str:
        """The connection requests to the reading tasker, where they accept or decline them."""
        ...

    def endorsements(self) -> str:
        """The endorsements the reading tasker received and gave."""
        ...

    def feed(self) -> str:
        """The tasks open to the reading tasker now."""
        ...

    def question(self, question_id: int) -> str:
        """A question on a board, with its answers."""
        ...

    def notification_prefs(self) -> str:
        """The reader's email preferences."""
        ...

    def unsubscribe(self, token: str) -> str:
        """The one-click unsubscribe link for a signed token (prefs.unsubscribe_token)."""
        ...

    def account_sessions(self) -> str:
        """The reader's web sessions and API tokens, where they end one (kinds/account_security.py)."""
        ...

    def sign_in_link(self, token: str) -> str:
        """The page where a sign-in link emailed after signup signs its reader in, once."""
        ...

    def data_download(self, token: str) -> str:
        """A data archive's one-time download page (kinds/data_export.py)."""
        ...

    # For apps: the API call behind the same thing ("GET /api/v1/tasks/12"), a method and a path.

    def api_task(self, task_id: int) -> str: ...

    def api_messages(self, task_id: int) -> str: ...

    def api_handoffs(self) -> str: ...

    def api_payouts(self) -> str: ...

    def api_webhook(self, endpoint_id: int) -> str: ...

    def api_connections(self) -> str: ...

    def api_endorsements(self, tasker_id: int) -> str: ...

    def api_feed(self) -> str: ...

    def api_question(self, question_id: int) -> str: ...

    def api_sessions(self) -> str: ...
