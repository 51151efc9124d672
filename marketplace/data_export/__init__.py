"""Download my data: a person asks for an archive of every row about them (a zip of JSON, one
file per kind), a worker builds it in the background with its progress kept on the export's row,
and an email carries a link that works once and expires. Other people appear in it only as ids
or a role label; their words (a message sent to the person, a task's private address) never do.

- `models`: the export job's row (the archive waits in it until downloaded or expired).
- `archive`: what each kind holds, read from the other packages' tables.
- `jobs`: the use cases: ask for one, build it step by step, hand it over once, expire it.
"""
