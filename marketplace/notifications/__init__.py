"""Notifications: who hears of an event, the delivery rows written with it, and the sender that
delivers them after commit."""
