"""`make bench`: throughput figures measured in one run on the same local services, reported
as rates and as ratios (a timing alone is noise on a shared 2-core machine)."""
