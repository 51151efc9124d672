"""Accounts: signing up, passwords, API tokens and web sessions. Commands: `signup`, `tokens`
(issue, revoke), `web_sessions` (start, end). Reads: `passwords.authenticate`, `tokens.user_for_token`."""
