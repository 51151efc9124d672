"""The taskers' network: connections and blocks (`connections`), hand-offs (`handoffs`),
endorsements and the mentored unlock (`endorsements`), what a tasker's connections know of a client
(`context`) and the path to better-paid work (`path`). A package, so the import contracts see it."""
