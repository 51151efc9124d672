"""The floors' limits that the command line shows in its help: kept in a module of their own, with
no imports, so `floorboard floors set --help` reads them without loading the database layer."""

from __future__ import annotations

# A change past this many times the current floor needs --confirm (a typo far more often than a raise).
SANITY_FACTOR = 3
