"""The domain's refusals, by kind. The marketplace raises them; only `api/` knows which HTTP status
each kind is, and the web pages and the CLI branch on the kind, never on a status code."""

from __future__ import annotations


class DomainError(Exception):
    """A request the marketplace refuses: a message for people, and field errors where a field is at fault."""

    def __init__(self, message: str, errors: dict | None = None):
        super().__init__(message)
        self.message = message
        self.errors = errors or {}


class Invalid(DomainError):
    """The input breaks a rule: see the field errors."""


class NotFound(DomainError):
    """No such thing, or none the caller may see."""


class Forbidden(DomainError):
    """The caller may not do this (their role, or it is someone else's)."""


class Conflict(DomainError):
    """Not in this state: already done, taken by someone else, or no longer open."""


class PaymentDeclined(DomainError):
    """The card was refused; the message is safe to show the client."""
