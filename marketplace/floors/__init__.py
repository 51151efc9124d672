"""Floors: the versioned rules operators set (`versions`), the in-memory table the pricing stage
prices from (`table`), and what operators do beside setting one: `history`, `simulation`, and
`csv_files`."""
