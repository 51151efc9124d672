"""Conversations: one thread per task between its client and the tasker holding it."""
