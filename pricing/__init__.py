"""The pricing engine: floor rules, legal minimums, quotes and money.

Pure by design: no I/O, no Flask, no Kafka, no imports from the other packages. Everything
here takes plain values and returns plain values, so it can be property-tested to exhaustion.
"""

from pricing.money import round_half_up
from pricing.quote import Quote, QuoteError, cancellation_fee, quote
from pricing.rules import FloorRule, FloorRuleError, LegalMinimum, validate_rule

__all__ = [
    "FloorRule",
    "FloorRuleError",
    "LegalMinimum",
    "Quote",
    "QuoteError",
    "cancellation_fee",
    "quote",
    "round_half_up",
    "validate_rule",
]
