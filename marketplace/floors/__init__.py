"""Floors: the versioned rules operators set (`versions`), the in-memory table the pricing stage
prices from (`table`), and what operators do beside setting one: `history` and `csv_files` (the
what-if simulation reads the tasks too, so it is the market's: marketplace/market/simulation.py)."""
