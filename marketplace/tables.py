"""Every table, imported once so the metadata is whole: for Alembic, and for anything that needs
every table at once (the tests, `bootstrap`)."""

from marketplace.accounts.devices import KnownDevice
from marketplace.accounts.models import ApiToken, Role, User, WebSession
from marketplace.accounts.sign_in_links import SignInLink
from marketplace.community.models import (
    Answer,
    AnswerVote,
    BoardEntry,
    Guide,
    GuideItem,
    GuideVote,
    HandoffCredit,
    KarmaAnswer,
    KarmaTip,
    Question,
    Reputation,
    Tip,
    TipVote,
)
from marketplace.conversations.models import Message, OperatorRead, ThreadRead
from marketplace.data_export.models import DataExport
from marketplace.floors.models import Category, FloorRuleVersion, LegalMinimumVersion, Level, Region
from marketplace.market.models import MarketAcceptBucket, MarketCommunityDay, MarketDay, MarketTask
from marketplace.network.models import Block, Connection, Endorsement, HandoffOffer
from marketplace.notifications.announce import AnnouncedTask, AnnouncementSweep
from marketplace.notifications.models import Notification, NotificationPref
from marketplace.notifications.webhooks import WebhookDelivery, WebhookEndpoint
from marketplace.payments.models import (
    LedgerEntry,
    Payment,
    PaymentStatus,
    PayoutAccount,
    StripeCustomer,
    StripeEventSeen,
)
from marketplace.privacy.models import ClosedAccount
from marketplace.taskers.models import MentoredUnlock, MentorSlot, TaskerLicense, TaskerRegion, TaskerSkill
from marketplace.tasks.models import (
    Adjustment,
    AdjustmentStatus,
    ClientReview,
    IdempotencyKey,
    Review,
    ReviewPending,
    ReviewReveal,
    Task,
    TaskQuote,
    TaskStatus,
    TaskStep,
)

__all__ = [
    "Adjustment",
    "AnnouncedTask",
    "AnnouncementSweep",
    "Answer",
    "AnswerVote",
    "Guide",
    "GuideItem",
    "GuideVote",
    "KarmaAnswer",
    "Question",
    "AdjustmentStatus",
    "ApiToken",
    "Block",
    "BoardEntry",
    "Category",
    "ClosedAccount",
    "Connection",
    "DataExport",
    "Endorsement",
    "HandoffCredit",
    "HandoffOffer",
    "MentorSlot",
    "MentoredUnlock",
    "Message",
    "Notification",
    "NotificationPref",
    "WebhookDelivery",
    "WebhookEndpoint",
    "OperatorRead",
    "ThreadRead",
    "FloorRuleVersion",
    "IdempotencyKey",
    "KarmaTip",
    "KnownDevice",
    "LegalMinimumVersion",
    "MarketAcceptBucket",
    "MarketCommunityDay",
    "MarketDay",
    "MarketTask",
    "LedgerEntry",
    "Level",
    "Payment",
    "PaymentStatus",
    "PayoutAccount",
    "Region",
    "Reputation",
    "Review",
    "ClientReview",
    "ReviewPending",
    "ReviewReveal",
    "Role",
    "StripeCustomer",
    "StripeEventSeen",
    "Task",
    "TaskQuote",
    "TaskStatus",
    "TaskStep",
    "TaskerLicense",
    "TaskerRegion",
    "TaskerSkill",
    "Tip",
    "TipVote",
    "User",
    "WebSession",
    "SignInLink",
]
