"""Taskers: their regions and skills with their own rates (`skills`), rates kept at or above the floors
(`rates`), the levels they have unlocked (`levels`), and the feed of tasks open to them (`feed`)."""
