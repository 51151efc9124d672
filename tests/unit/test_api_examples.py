"""Every example in the API docs is a request the API accepts: each loads through its own schema."""

from __future__ import annotations

import pytest

from api.rest import (
    accounts_schemas,
    boards_schemas,
    catalog_schemas,
    floors_schemas,
    payments_schemas,
    taskers_schemas,
    tasks_schemas,
)

MODULES = [accounts_schemas, boards_schemas, catalog_schemas, floors_schemas, payments_schemas]
MODULES += [taskers_schemas, tasks_schemas]
CASES = [(schema, example) for module in MODULES for schema, example in module.EXAMPLES.items()]


@pytest.mark.parametrize("schema, example", CASES, ids=[schema.__name__ for schema, _ in CASES])
def test_each_example_loads_through_its_schema(schema, example):
    assert schema().validate(example) == {}
