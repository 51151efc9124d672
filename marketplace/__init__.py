"""The marketplace's domain core: tables, the unit of work, and the use cases (post, price,
accept, complete, review, tip). It never imports Flask or kafka-python; it talks to the event
backbone only through the outbox in `events`."""
