"""Payments: the gateway behind a Protocol (`gateway`: the null gateway; `stripe_gateway`: Stripe),
holds (`holds`), settlement (`settlement`), payouts (`payouts`), webhooks (`webhooks`), the
double-entry `ledger`, and `reconcile` against Stripe. Money moves here only when a worker calls."""
