"""The checker behind tests/unit/test_table_owners.py: which table each module of marketplace/
writes, read with `ast` (what counts as a write is said there)."""

from __future__ import annotations

import ast
import functools
import re
from dataclasses import dataclass
from pathlib import Path

from sqlmodel import SQLModel

import events.tables  # noqa: F401  (the backbone's tables, registered on the metadata)
import marketplace.tables  # noqa: F401  (every table of the domain, registered on the metadata)

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "marketplace"
SHARED = "events"  # the owner named for the event backbone's tables: anyone may write them

STATEMENTS = {"update", "delete", "insert"}
HELPERS = {"insert_if_absent", "insert_many_if_absent", "_bulk_insert"}  # marketplace/db: (session, model, ...)
ROW_GETTERS = {"one", "first", "one_or_none"}
RAW_SQL = re.compile(r"\b(?:INSERT INTO|UPDATE|DELETE FROM)\s+\"?(\w+)")  # a table named in SQL text


@dataclass(frozen=True)
class Model:
    cls: str  # the class's name, as its module defines it
    module: str  # the defining module, dotted
    table: str
    owner: str  # the package of marketplace/ (or `events`) that owns the table


@dataclass(frozen=True)
class Write:
    module: str  # the writing module, relative to the repository
    line: int
    table: str
    owner: str


@functools.cache
def known_models() -> dict[tuple[str, str], Model]:
    """(defining module, class name) -> the model, for every mapped table on SQLModel's metadata."""
    models: dict[tuple[str, str], Model] = {}
    for mapper in SQLModel._sa_registry.mappers:  # type: ignore[attr-defined]
        cls = mapper.class_
        table = getattr(cls, "__tablename__", None)
        if table is None or mapper.local_table is None:
            continue
        parts = cls.__module__.split(".")
        owner = parts[1] if parts[0] == "marketplace" else SHARED
        models[(cls.__module__, cls.__name__)] = Model(cls.__name__, cls.__module__, str(table), owner)
    return models


def every_table_has_a_model() -> set[str]:
    """The tables on the metadata that no mapped class defines (expected: none)."""
    mapped = {model.table for model in known_models().values()}
    return set(SQLModel.metadata.tables) - mapped


def _func_name(call: ast.Call) -> str | None:
    if isinstance(call.func, ast.Name):
        return call.func.id
    if isinstance(call.func, ast.Attribute):
        return call.func.attr
    return None


class _Names:
    """What the names of one module refer to: models, and the statement builders imported under
    another name (`from sqlalchemy.dialects.postgresql import insert as pg_insert`)."""

    def __init__(self, tree: ast.Module, module: str, models: dict[tuple[str, str], Model]) -> None:
        self.models: dict[str, Model] = {}  # a bare name -> its model
        self.modules: dict[str, str] = {}  # a name bound to a module -> the dotted module
        self.builders: dict[str, str] = {}  # a local name -> update, delete or insert
        self.functions: dict[str, tuple[str, str]] = {}  # a name imported from marketplace/ -> (module, name)
        self.module = module
        by_module: dict[str, dict[str, Model]] = {}
        for model in models.values():
            by_module.setdefault(model.module, {})[model.cls] = model
        self.by_module = by_module
        self.models.update(by_module.get(module, {}))  # the module's own classes
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                source = node.module or ""
                if node.level:
                    source = ".".join(module.split(".")[: -node.level] + ([source] if source else []))
                for alias in node.names:
                    local = alias.asname or alias.name
                    if alias.name in by_module.get(source, {}):
                        self.models[local] = by_module[source][alias.name]
                    elif f"{source}.{alias.name}" in by_module:
                        self.modules[local] = f"{source}.{alias.name}"
                    elif alias.name in STATEMENTS:
                        self.builders[local] = alias.name
                    elif source.startswith("marketplace."):
                        self.functions[local] = (source, alias.name)
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    self.modules[alias.asname or alias.name.split(".")[0]] = alias.name

        self.local: dict[str, Model] = {}  # this module's functions annotated to return a row
        for node in tree.body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                model = self.model(node.returns)
                if model is not None:
                    self.local[node.name] = model

    def model(self, node: ast.AST | None) -> Model | None:
        """The model an expression names: `Task`, `models.Task`, or `Task | None` / `"Task"`."""
        if isinstance(node, ast.Name):
            return self.models.get(node.id)
        if isinstance(node, ast.Attribute) and node.attr == "__table__":
            return self.model(node.value)
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            module = self.modules.get(node.value.id)
            return self.by_module.get(module or "", {}).get(node.attr)
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
            return self.model(node.left) or self.model(node.right)
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            try:
                return self.model(ast.parse(node.value, mode="eval").body)
            except SyntaxError:
                return None
        return None

    def returned(self, func: ast.AST) -> Model | None:
        """The model a function's call returns a row of, by its return annotation: a function of
        this module, one imported from marketplace/, or `module.function`."""
        if isinstance(func, ast.Name) and func.id in self.local:
            return self.local[func.id]
        if isinstance(func, ast.Name):
            where = self.functions.get(func.id, (self.module, func.id))
        elif isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id in self.modules:
            where = (self.modules[func.value.id], func.attr)
        else:
            return None
        return RETURNS.get(where)

    def statement(self, call: ast.Call) -> str | None:
        """update, delete or insert when the call builds a statement: `update(...)`, `pg_insert(...)`,
        `sa.delete(...)` (a module's function; `session.delete(row)` is not one)."""
        name = _func_name(call)
        if isinstance(call.func, ast.Name):
            return self.builders.get(name or "", name if name in STATEMENTS else None)
        value = call.func.value if isinstance(call.func, ast.Attribute) else None
        if isinstance(value, ast.Name) and value.id in self.modules and name in STATEMENTS:
            return name
        return None


RETURNS: dict[tuple[str, str], Model] = {}  # (module, function) -> the model it returns a row of


def _index_returns(models: dict[tuple[str, str], Model]) -> None:
    """Fill RETURNS from every module-level function of marketplace/ annotated to return a row."""
    if RETURNS:
        return
    for file in sorted(PACKAGE.rglob("*.py")):
        module = ".".join(file.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
        tree = ast.parse(file.read_text())
        RETURNS.update({(module, name): model for name, model in _Names(tree, module, models).local.items()})


def _selected_model(names: _Names, node: ast.AST) -> Model | None:
    """The model of the first `select(Model)` inside an expression."""
    for inner in ast.walk(node):
        if isinstance(inner, ast.Call) and _func_name(inner) == "select" and inner.args:
            return names.model(inner.args[0])
    return None


def _selected_models(names: _Names, node: ast.AST) -> list[Model | None]:
    """The models of the first `select(A, B, ...)` inside an expression, one per column selected."""
    for inner in ast.walk(node):
        if isinstance(inner, ast.Call) and _func_name(inner) == "select" and inner.args:
            return [names.model(arg) for arg in inner.args]
    return []


def _executed(node: ast.AST) -> bool:
    return any(isinstance(n, ast.Call) and _func_name(n) == "exec" for n in ast.walk(node))


def _bound_model(names: _Names, value: ast.AST) -> Model | None:
    """The model a value is a row of: `Model(...)`, `session.get(Model, ...)`,
    `....exec(select(Model)...).one()` (or first, one_or_none)."""
    if not isinstance(value, ast.Call):
        return None
    direct = names.model(value.func) or names.returned(value.func)
    if direct is not None:
        return direct
    name = _func_name(value)
    if name == "construct" and value.args:  # marketplace/db.construct(Task, ...): Task(...) built cheaply
        return names.model(value.args[0])
    if name in ("get", "get_one") and value.args and isinstance(value.func, ast.Attribute):
        return names.model(value.args[0])
    if name in ROW_GETTERS and isinstance(value.func, ast.Attribute):
        return _selected_model(names, value.func.value)
    return None


def _scopes(tree: ast.Module) -> list[ast.AST]:
    return [tree] + [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]


def _own_nodes(scope: ast.AST) -> list[ast.AST]:
    """The nodes of a scope, without those of the functions nested in it (their own scopes)."""
    found: list[ast.AST] = []
    stack = list(ast.iter_child_nodes(scope))
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            continue
        found.append(node)
        stack.extend(ast.iter_child_nodes(node))
    return found


def _file_writes(file: Path) -> list[tuple[int, Model | str]]:
    """writes_in for a file of the tree, read once per run (the tests ask several questions of it)."""
    return _cached_writes(str(file))


@functools.cache
def _cached_writes(file: str) -> list[tuple[int, Model | str]]:
    module = ".".join(Path(file).relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
    return writes_in(Path(file).read_text(), module, known_models())


def writes_in(source: str, module: str, models: dict[tuple[str, str], Model]) -> list[tuple[int, Model | str]]:
    """(line, model) of every write the source of `module` (dotted) makes; for a statement whose
    table is a variable (`update(model)`, `delete(table)`), the name of its function instead."""
    _index_returns(models)
    tree = ast.parse(source)
    names = _Names(tree, module, models)
    by_table = {model.table: model for model in models.values()}
    found: list[tuple[int, Model | str]] = []
    for scope in _scopes(tree):
        where = getattr(scope, "name", "<module>")
        nodes = _own_nodes(scope)
        bound: dict[str, Model] = {}  # a name -> the model it holds a row of
        tables: dict[str, Model] = {}  # a name -> the model whose table it holds (`Task.__table__`)
        lists: dict[str, Model] = {}  # a name -> the model it holds a list of rows of
        if isinstance(scope, (ast.FunctionDef, ast.AsyncFunctionDef)):
            arguments = scope.args.posonlyargs + scope.args.args + scope.args.kwonlyargs
            for argument in arguments:
                model = names.model(argument.annotation)
                if model is not None:
                    bound[argument.arg] = model
        for node in nodes + nodes:  # twice: a loop over `rows` may come before rows is bound
            if isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None:
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                if isinstance(node.value, ast.Call) and _func_name(node.value) == "all" and _executed(node.value):
                    model = _selected_model(names, node.value)  # rows = session.exec(select(Task)).all()
                    if model is not None:
                        lists.update({t.id: model for t in targets if isinstance(t, ast.Name)})
                model = _bound_model(names, node.value)
                if isinstance(node, ast.AnnAssign):
                    model = model or names.model(node.annotation)
                if model is not None:
                    bound.update({t.id: model for t in targets if isinstance(t, ast.Name)})
                table = names.model(node.value) if isinstance(node.value, ast.Attribute) else None
                if table is not None and node.value.attr == "__table__":  # type: ignore[union-attr]
                    tables.update({t.id: table for t in targets if isinstance(t, ast.Name)})
            elif isinstance(node, (ast.For, ast.AsyncFor)):
                iterated, target = node.iter, node.target
                if isinstance(target, ast.Name) and isinstance(iterated, ast.Name) and iterated.id in lists:
                    bound[target.id] = lists[iterated.id]  # for row in rows
                elif isinstance(target, ast.Name) and _executed(iterated):
                    model = _selected_model(names, iterated)
                    if model is not None:
                        bound[target.id] = model
                elif isinstance(target, ast.Tuple) and _executed(iterated):  # for a, b in ...select(A, B)
                    for element, model in zip(target.elts, _selected_models(names, iterated), strict=False):
                        if isinstance(element, ast.Name) and model is not None:
                            bound[element.id] = model
        for node in nodes:
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                found += [(node.lineno, by_table[t]) for t in RAW_SQL.findall(node.value) if t in by_table]
            if isinstance(node, ast.Call):
                name = _func_name(node)
                table_of = None
                if names.statement(node) and node.args:
                    table_of = node.args[0]  # update(Task), insert(Task.__table__), update(model)
                elif name in STATEMENTS and isinstance(node.func, ast.Attribute) and not node.args + node.keywords:
                    table_of = node.func.value  # Task.__table__.insert(), table.insert()
                elif name in HELPERS and len(node.args) > 1:
                    table_of = node.args[1]  # insert_if_absent(session, Block, ...)
                elif name == "stage" and isinstance(node.func, ast.Attribute) and node.args:
                    table_of = node.args[0]  # uow.stage(Notification.__table__, row): inserted at commit
                if table_of is not None:
                    model = names.model(table_of)
                    if model is None and isinstance(table_of, ast.Name):
                        model = tables.get(table_of.id)  # table = Task.__table__
                    found.append((node.lineno, model if model is not None else where))
                    continue
                if isinstance(node.func, ast.Attribute) and name in {"add", "merge", "delete", "add_all"}:
                    rows = node.args[:1]
                    if name == "add_all" and rows and isinstance(rows[0], (ast.List, ast.Tuple)):
                        rows = list(rows[0].elts)
                    for row in rows:
                        model = None
                        if isinstance(row, ast.Call):
                            model = names.model(row.func)
                        elif isinstance(row, ast.Name):
                            model = bound.get(row.id)
                        if model is not None:
                            found.append((node.lineno, model))
            targets: list[ast.expr] = []
            if isinstance(node, ast.Assign):
                targets = node.targets
            elif isinstance(node, (ast.AugAssign, ast.AnnAssign)):
                targets = [node.target]
            for target in targets:
                if isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name):
                    model = bound.get(target.value.id)
                    if model is not None:
                        found.append((target.lineno, model))
    return sorted(set(found), key=lambda w: (w[0], w[1] if isinstance(w[1], str) else w[1].table))


def _foreign(path: str, writes: list[tuple[int, Model | str]]) -> list[Write]:
    parts = Path(path).with_suffix("").parts
    package = parts[1] if len(parts) > 1 and parts[1] != "__init__" else ""  # marketplace/__init__.py: none
    return [
        Write(path, line, model.table, model.owner)
        for line, model in writes
        if isinstance(model, Model) and model.owner not in (package, SHARED)
    ]


def foreign_writes(source: str, path: str, models: dict[tuple[str, str], Model]) -> list[Write]:
    """The writes of one module of marketplace/ (`path` relative to the repository) to a table
    another package owns."""
    module = ".".join(Path(path).with_suffix("").parts).removesuffix(".__init__")
    return _foreign(path, writes_in(source, module, models))


def tree_generic_writes() -> set[tuple[str, str]]:
    """(module, function) of every write in marketplace/ whose table the checker cannot name."""
    found = set()
    for file in sorted(PACKAGE.rglob("*.py")):
        found |= {(str(file.relative_to(ROOT)), where) for _, where in _file_writes(file) if isinstance(where, str)}
    return found


def tree_foreign_writes() -> list[Write]:
    """Every write in marketplace/ to a table another package owns."""
    found: list[Write] = []
    for file in sorted(PACKAGE.rglob("*.py")):
        found += _foreign(str(file.relative_to(ROOT)), _file_writes(file))
    return found


ENTRYPOINTS = ("api", "cli", "workers")


def entrypoint_writes() -> list[tuple[str, int, str]]:
    """(module, line, table or function) of every write api/, cli/ and workers/ make themselves to a
    table of marketplace/ (or to one the checker cannot name): an entry point owns no table."""
    found = []
    for top in ENTRYPOINTS:
        for file in sorted((ROOT / top).rglob("*.py")):
            path = str(file.relative_to(ROOT))
            for line, model in _file_writes(file):
                if isinstance(model, str):
                    found.append((path, line, model))
                elif model.owner != SHARED:
                    found.append((path, line, model.table))
    return found
