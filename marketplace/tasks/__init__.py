"""Tasks: posting, the pricing stage, and a priced task's life (accept, start, complete, claims for
extra work, cancel, review). Commands live in `posting`, `pricing_stage`, `lifecycle`, `adjustments`
and `reviews`; `quotes` reads a task's stored prices; `feed` and `reach` say which taskers a priced
task is open to (they read the taskers' skills, rates and levels from the layer below)."""
