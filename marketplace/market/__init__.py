"""Market health: a projection of the log per category x region x local day (`projection`), the
series and before/after comparisons operators read from it (`health`), and the legal-minimum
compliance report, read from the tasks themselves (`compliance`); and the what-if simulation of
proposed floors on the last days' postings (`simulation`)."""
