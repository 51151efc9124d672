"""Privacy: closing an account (what goes, what the law makes us keep, anonymised, and for how long;
docs/privacy.md). Above the feature packages: it reads and writes every table that names a person."""
