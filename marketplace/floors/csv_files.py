"""Floors in and out as CSV: export the table, and import a file all or nothing."""

from __future__ import annotations

import csv
import io
from datetime import datetime

from sqlmodel import Session

from marketplace.db import UnitOfWork
from marketplace.floors.models import FloorRuleVersion
from marketplace.floors.versions import (
    RULE_FIELDS,
    FloorChange,
    changes_nothing,
    rules_in_force,
    set_floor,
)
from pricing import FloorRuleError

CSV_COLUMNS = ("category", "region", *RULE_FIELDS, "effective_from", "reason")


def export_csv(session: Session, at: datetime | None = None) -> str:
    """The rules in force at `at` (now), one row per category and region, ready to edit and import.

    effective_from and reason are left blank: a re-import applies now unless a time is filled in,
    and each change needs its own reason (the originals stay in the history).
    """
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for (category, region), rule in sorted(rules_in_force(session, at).items()):
        writer.writerow(
            {
                "category": category,
                "region": region,
                "reason": "",
                "effective_from": "",
                **{name: getattr(rule, name) for name in RULE_FIELDS},
            }
        )
    return out.getvalue()


class CsvImportError(ValueError):
    def __init__(self, errors: list[str]):
        super().__init__("\n".join(errors))
        self.errors = errors


def parse_floor_csv(text: str, default_reason: str | None = None, confirmed: bool = False) -> list[FloorChange]:
    """Rows to FloorChanges. Blank cells keep the current value; effective_from blank means now."""
    try:
        return _parse_rows(csv.DictReader(io.StringIO(text)), default_reason, confirmed)
    except csv.Error as exc:
        raise CsvImportError([f"not a readable CSV: {exc}"]) from None


def _parse_rows(reader: csv.DictReader, default_reason: str | None, confirmed: bool) -> list[FloorChange]:
    missing = {"category", "region"} - set(reader.fieldnames or [])
    if missing:
        raise CsvImportError([f"header: missing column(s) {', '.join(sorted(missing))}"])
    unknown = set(reader.fieldnames or []) - set(CSV_COLUMNS)
    if unknown:
        raise CsvImportError([f"header: unknown column(s) {', '.join(sorted(unknown))}"])
    changes, errors = [], []
    for line, row in enumerate(reader, start=2):
        values = {}
        for name in RULE_FIELDS:
            cell = (row.get(name) or "").strip()
            if cell:
                try:
                    values[name] = int(cell)
                except ValueError:
                    errors.append(f"line {line}: {name} must be a whole number, not {cell!r}")
        when = (row.get("effective_from") or "").strip()
        effective_from = None
        if when:
            try:
                effective_from = datetime.fromisoformat(when)
            except ValueError:
                errors.append(f"line {line}: effective_from {when!r} is not an ISO 8601 time")
        reason = (row.get("reason") or "").strip() or default_reason or ""
        changes.append(
            FloorChange(
                (row.get("category") or "").strip(),
                (row.get("region") or "").strip(),
                reason,
                values,
                effective_from,
                confirmed,
            )
        )
    if errors:
        raise CsvImportError(errors)
    return changes


def import_floors(
    uow: UnitOfWork, changes: list[FloorChange], author_id: int | None, author: str, progress=None
) -> tuple[list[FloorRuleVersion], int]:
    """All or nothing: every row is validated and applied in one transaction (the caller commits).
    A row that restates the current values makes no version. Returns (versions made, rows unchanged)."""
    created: list[FloorRuleVersion] = []
    errors: list[str] = []
    unchanged = 0
    for line, change in enumerate(changes, start=2):
        try:
            if changes_nothing(uow.session, change):
                unchanged += 1
            else:
                created.append(set_floor(uow, change, author_id, author))
        except FloorRuleError as exc:
            errors.extend(
                f"line {line} ({change.category}/{change.region}): {field}: {' '.join(msgs)}"
                for field, msgs in exc.errors.items()
            )
        if progress:
            progress()
    if errors:
        raise CsvImportError(errors)
    return created, unchanged
