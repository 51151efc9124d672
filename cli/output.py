"""How every listing of the command line prints: a table on a terminal, the whole table (never cut at 80 columns) when
the output is piped, or, with --csv or --json, the raw records for a spreadsheet or a script."""

from __future__ import annotations

import csv
import functools
import json
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from rich.console import Console


@functools.cache
def out() -> Console:
    """The console on stdout, made when first printed to: importing rich would cost every `--help` half
    its time. Its file is whatever sys.stdout is when it prints."""
    from rich.console import Console

    return Console()


@functools.cache
def err() -> Console:
    """The console on stderr (errors and progress), so --csv and --json leave stdout to the records."""
    from rich.console import Console

    return Console(stderr=True)


def listing_options(command: Callable[..., Any]) -> Callable[..., Any]:
    command = click.option("--json", "as_json", is_flag=True, help="Print the records as JSON.")(command)
    return click.option("--csv", "as_csv", is_flag=True, help="Print the records as CSV.")(command)


def print_listing(
    title: str,
    records: Sequence[dict[str, Any]],
    columns: Sequence[str],
    rows: Sequence[Sequence[str]],
    as_csv: bool = False,
    as_json: bool = False,
) -> None:
    """`records` (raw values) for --csv and --json; `columns` and `rows` (formatted) for the table."""
    if as_csv and as_json:
        raise click.UsageError("choose one of --csv and --json")
    if as_json:
        click.echo(json.dumps(list(records), default=str, indent=2))
    elif as_csv:
        fields = list(records[0]) if records else []
        writer = csv.DictWriter(sys.stdout, fieldnames=fields, lineterminator="\n")
        writer.writeheader()
        writer.writerows({k: spreadsheet_safe(v) for k, v in record.items()} for record in records)
    else:
        from rich.console import Console
        from rich.table import Table
        from rich.text import Text

        table = Table(title=title)
        for column in columns:
            table.add_column(column)
        for row in rows:
            table.add_row(*(Text(cell) if isinstance(cell, str) else cell for cell in row))  # words, not markup
        # Piped, rich would assume 80 columns and fold the table: print it whole instead.
        Console(width=None if sys.stdout.isatty() else 1_000).print(table)


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value):
    """Text a spreadsheet would run as a formula (an operator's reason "=HYPERLINK(...)", a dead
    letter's error quoting a client's title) gets a leading apostrophe; numbers stay numbers."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value
