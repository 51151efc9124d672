"""The taskers' network: connections and blocks (`connections`), hand-offs (`handoffs`),
endorsements (`endorsements`; the mentored unlock they open is the taskers' own projection, in
taskers/mentoring.py), what a tasker's connections know of a client (`context`) and the path to
better-paid work (`path`). A package, so the import contracts see it."""
