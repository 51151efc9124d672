"""Reputation: a projection (group "reputation") of tasks.lifecycle, reviews.submitted (revealed
reviews only) and tips.activity, kept per tasker and category. It holds only counts, and every figure is derived
from counts by `scoring`, so `floorboard replay reputation` reproduces it exactly.

Its seams, one module each: `counts` (the batch projection: a run of events into each row's counts),
`karma` (tips' and answers' vote counts, and the karma from them), `live` (the worker's path: one
event, and the changes announced), `replay` (the rebuild from the log) and `public` (the figures
anyone may read of a row; a tasker's public profile is marketplace/taskers/profile.py). The names
other packages use are these:
"""

from marketplace.community.reputation.live import project_reputation_event
from marketplace.community.reputation.public import figures
from marketplace.community.reputation.replay import PROJECTION_TABLES, HeldReputation

__all__ = ["PROJECTION_TABLES", "HeldReputation", "figures", "project_reputation_event"]
