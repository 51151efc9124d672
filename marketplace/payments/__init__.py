"""Payments: the gateway behind a Protocol (`gateway`: the null gateway; `stripe_gateway`: Stripe),
holds (`holds`), settlement (`settlement`), payouts (`payouts`), webhooks (`webhooks`), the
double-entry `ledger`, and `reconcile` against Stripe. Captures, releases and transfers happen when
the payments worker calls; a card hold, a refund and a payout onboarding happen in the request that
waits for them, with no transaction open while Stripe is asked (docs/architecture.md)."""
