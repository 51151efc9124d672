"""Taskers: their regions and skills with their own rates (`skills`), rates kept at or above the floors
(`rates`), the levels they have unlocked (`levels`) and the skilled categories mentors opened
(`mentoring`). The feed of tasks open to them queries the tasks table, so it lives with the tasks
(tasks/feed.py), one layer up."""
