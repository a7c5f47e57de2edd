"""The import graph of zyw_flow goes one way: low layers never import high ones.

The graph is read from the source with :mod:`ast` (nothing is imported): every ``import``
and ``from … import`` anywhere in a module (at module level, in functions, under
``if TYPE_CHECKING:``), relative imports resolved against the module's package, and
``from package import submodule`` counted as an import of the submodule.

Three rules:

* (a) no cycles between zyw_flow's components (a subpackage or a top-level module, e.g.
  ``zyw_flow.template`` or ``zyw_flow._errors``), and no import-time cycle between modules;
* (b) a component imports only components of its own layer or lower ones (:data:`LAYERS`);
* (c) the engine (every ``zyw_flow/runtime/`` module but the façade ``_campaign.py``)
  never imports template parsing, store drivers, rich or matplotlib; the façade imports,
  beyond the runtime and the base layer, only the packages ``zyw_flow.compile`` and
  ``zyw_flow.store``.

:data:`KNOWN_VIOLATIONS` lists the edges that break these rules today. The test fails on any
violation not listed *and* on any listed edge that no longer breaks a rule, so the list can
only shrink.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from pathlib import Path

import attrs
import pytest

from tests.conftest import ROOT

PACKAGE = "zyw_flow"

#: Layers, lowest first. A component may import its own layer and lower ones only.
LAYERS: tuple[tuple[str, frozenset[str]], ...] = (
    # no zyw_flow imports but each other: errors, instants, safe YAML, bundled files, fields
    (
        "base",
        frozenset(
            {
                "zyw_flow._errors",
                "zyw_flow._time",
                "zyw_flow._yaml",
                "zyw_flow._bundled",
                "zyw_flow._fonts",
                "zyw_flow._fields",
                "zyw_flow._files",
            }
        ),
    ),
    ("dates", frozenset({"zyw_flow.dates"})),
    ("evaluation", frozenset({"zyw_flow.evaluation"})),
    ("template", frozenset({"zyw_flow.template"})),
    ("resolve", frozenset({"zyw_flow.resolve"})),
    ("compile", frozenset({"zyw_flow.compile"})),
    ("store", frozenset({"zyw_flow.store"})),  # the journal port and its drivers
    ("runtime", frozenset({"zyw_flow.runtime"})),
    ("scenario", frozenset({"zyw_flow.scenario"})),
    # simulation: runs the engine many times; validation checks its profile files
    ("sim", frozenset({"zyw_flow.sim"})),
    # checks every kind of file (templates, schemes, scenarios) without running anything
    ("validation", frozenset({"zyw_flow.validation"})),
    # plots draw compiled campaigns and are drawn by the CLI, so they sit just below it
    ("plots", frozenset({"zyw_flow._plots"})),
    # the HTML board reads a campaign through its public API and draws with the plots' data
    ("board", frozenset({"zyw_flow.board"})),
    # the outbox relay delivers a stored campaign's events (read through its public API)
    ("relay", frozenset({"zyw_flow.relay"})),
    # data in and out (CSV, .xlsx, iCalendar) over a campaign's public read API
    ("exchange", frozenset({"zyw_flow.exchange"})),
    ("cli", frozenset({"zyw_flow.cli"})),
    # nothing in the package imports these
    ("top", frozenset({"zyw_flow", "zyw_flow.__main__", "zyw_flow.testing"})),
)

#: Modules of the runtime that are *not* the engine: the façade over the pipeline and store.
FACADE = frozenset({"zyw_flow.runtime._campaign", "zyw_flow.runtime._durable"})

#: What the engine may never import directly (a module or anything below it).
ENGINE_FORBIDDEN = (
    "zyw_flow.template",  # template parsing …
    "zyw_flow._yaml",
    "yaml",
    "jsonschema",
    "zyw_flow.store._sqlite",  # … store drivers …
    "zyw_flow.store._postgres",
    "sqlite3",
    "psycopg",
    "rich",  # … and presentation
    "matplotlib",
    "zyw_flow._plots",
    "zyw_flow.evaluation._report",
    "zyw_flow.cli",
)

#: The only zyw_flow modules the façade may import beyond the runtime and the base layer.
FACADE_ALLOWED = frozenset({"zyw_flow.compile", "zyw_flow.store"})

#: Edges (importer, imported) that break a rule today, each to be removed by the work that
#: fixes it. Do not add to this set: fix the import instead.
KNOWN_VIOLATIONS: frozenset[tuple[str, str]] = frozenset()  # none left


@attrs.frozen
class Graph:
    """Imports between the modules of one package.

    Attributes:
        modules: every module of the package (``pkg``, ``pkg.sub``, ``pkg.sub._mod`` …).
        edges: importer → every module or outside name it imports.
        runtime_edges: the same, without imports made only for type checking.
    """

    modules: frozenset[str]
    edges: Mapping[str, frozenset[str]]
    runtime_edges: Mapping[str, frozenset[str]]


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(tree: ast.AST, package: str, modules: frozenset[str]) -> Iterable[tuple[str, bool]]:
    """(imported name, only for type checking) for every import statement in ``tree``."""

    def walk(node: ast.AST, typing_only: bool) -> Iterable[tuple[str, bool]]:
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, typing_only
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            plain = False
            for alias in node.names:
                if f"{target}.{alias.name}" in modules:
                    yield f"{target}.{alias.name}", typing_only  # from pkg import submodule
                else:
                    plain = True
            if plain:
                yield target, typing_only
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            for child in node.body:
                yield from walk(child, True)
            for child in node.orelse:
                yield from walk(child, typing_only)
            return
        for child in ast.iter_child_nodes(node):
            yield from walk(child, typing_only)

    yield from walk(tree, False)


def build_graph(folder: Path, name: str = PACKAGE) -> Graph:
    """The import graph of the package in ``folder`` (its ``__init__.py`` is there)."""
    files: dict[str, tuple[Path, bool]] = {}
    for path in sorted(folder.rglob("*.py")):
        parts = list(path.relative_to(folder).with_suffix("").parts)
        is_package = parts[-1] == "__init__"
        if is_package:
            parts = parts[:-1]
        files[".".join([name, *parts])] = (path, is_package)
    modules = frozenset(files)
    edges: dict[str, frozenset[str]] = {}
    runtime_edges: dict[str, frozenset[str]] = {}
    for module, (path, is_package) in files.items():
        package = module if is_package else module.rpartition(".")[0]
        found = list(_imports(ast.parse(path.read_text("utf-8")), package, modules))
        edges[module] = frozenset(_known(t, modules) for t, _ in found) - {module}
        runtime_edges[module] = frozenset(_known(t, modules) for t, ty in found if not ty) - {
            module
        }
    return Graph(modules, edges, runtime_edges)


def _known(target: str, modules: frozenset[str]) -> str:
    """``target`` itself, or its longest prefix that is a module of the package."""
    if target.split(".")[0] not in {m.split(".")[0] for m in modules}:
        return target  # outside the package: keep the name as written
    probe = target
    while probe not in modules and "." in probe:
        probe = probe.rpartition(".")[0]
    return probe


def component(module: str) -> str:
    """The subpackage or top-level module that ``module`` belongs to."""
    return ".".join(module.split(".")[:2])


def find_cycles(graph: Mapping[str, Iterable[str]]) -> list[list[str]]:
    """One cycle (``[a, b, …, a]``) per strongly connected group of ``graph``, sorted."""
    adjacency = {node: sorted(set(targets)) for node, targets in graph.items()}
    for targets in list(adjacency.values()):
        for t in targets:
            adjacency.setdefault(t, [])
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[set[str]] = []

    def connect(node: str) -> None:  # Tarjan's algorithm
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in adjacency[node]:
            if nxt not in index:
                connect(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.add(member)
                if member == node:
                    break
            if len(group) > 1 or node in adjacency[node]:
                groups.append(group)

    for node in sorted(adjacency):
        if node not in index:
            connect(node)
    return sorted(_cycle_in(group, adjacency) for group in groups)


def _cycle_in(group: set[str], adjacency: Mapping[str, list[str]]) -> list[str]:
    """A shortest cycle through the smallest node of a strongly connected ``group``."""
    start = min(group)
    paths = {start: [start]}
    queue = [start]
    while queue:
        node = queue.pop(0)
        for nxt in adjacency[node]:
            if nxt == start:
                return [*paths[node], start]
            if nxt in group and nxt not in paths:
                paths[nxt] = [*paths[node], nxt]
                queue.append(nxt)
    raise AssertionError("not a cycle")  # pragma: no cover


def layer_of(comp: str) -> int:
    """The index of ``comp``'s layer in :data:`LAYERS`."""
    for i, (_, members) in enumerate(LAYERS):
        if comp in members:
            return i
    raise KeyError(comp)


def _matches(name: str, prefixes: Iterable[str]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def violations(graph: Graph) -> set[tuple[str, str]]:
    """Every edge that breaks rule (b) or (c)."""
    found: set[tuple[str, str]] = set()
    for importer, targets in graph.edges.items():
        for target in targets:
            inside = target in graph.modules
            if (
                inside
                and component(importer) != component(target)
                and layer_of(component(target)) > layer_of(component(importer))
            ):
                found.add((importer, target))
            if not importer.startswith("zyw_flow.runtime"):
                continue
            if _matches(target, ENGINE_FORBIDDEN):
                found.add((importer, target))
            elif importer in FACADE and inside:
                allowed = (
                    component(target) == "zyw_flow.runtime"
                    or layer_of(component(target)) == 0
                    or target in FACADE_ALLOWED
                )
                if not allowed:
                    found.add((importer, target))
    return found


def component_graph(graph: Graph, skip: Iterable[tuple[str, str]] = ()) -> dict[str, set[str]]:
    """Imports between components, leaving out the edges in ``skip``."""
    skipped = set(skip)
    out: dict[str, set[str]] = {}
    for importer, targets in graph.edges.items():
        for target in targets:
            if target in graph.modules and (importer, target) not in skipped:
                a, b = component(importer), component(target)
                if a != b:
                    out.setdefault(a, set()).add(b)
    return out


def module_graph(graph: Graph, skip: Iterable[tuple[str, str]] = ()) -> dict[str, set[str]]:
    """Import-time imports between modules, leaving out the edges in ``skip``."""
    skipped = set(skip)
    return {
        importer: {t for t in targets if t in graph.modules and (importer, t) not in skipped}
        for importer, targets in graph.runtime_edges.items()
    }


@pytest.fixture(scope="module")
def graph() -> Graph:
    """The import graph of the zyw_flow source tree."""
    return build_graph(ROOT / "zyw_flow")


class TestPackageLayers:
    """zyw_flow's own import graph obeys the rules."""

    def test_every_component_has_a_layer(self, graph: Graph) -> None:
        """Each subpackage and top-level module is in exactly one layer."""
        components = {component(m) for m in graph.modules}
        placed = [c for _, members in LAYERS for c in members]
        assert len(placed) == len(set(placed))
        assert components - set(placed) == set(), "put the new component in LAYERS"

    def test_no_cycles_between_components(self, graph: Graph) -> None:
        """No import cycle between subpackages and top-level modules."""
        assert find_cycles(component_graph(graph, KNOWN_VIOLATIONS)) == []

    def test_no_import_time_cycles_between_modules(self, graph: Graph) -> None:
        """No cycle between modules, counting imports that run (not TYPE_CHECKING ones)."""
        assert find_cycles(module_graph(graph, KNOWN_VIOLATIONS)) == []

    def test_no_new_violations(self, graph: Graph) -> None:
        """Every edge that breaks a layer or engine rule is a known one."""
        assert sorted(violations(graph) - KNOWN_VIOLATIONS) == []

    def test_known_violations_still_occur(self, graph: Graph) -> None:
        """An edge that no longer breaks a rule leaves KNOWN_VIOLATIONS (it only shrinks)."""
        assert sorted(KNOWN_VIOLATIONS - violations(graph)) == []


class TestTheRules:
    """The checks themselves catch what they should, on synthetic graphs and trees."""

    def test_a_cycle_is_caught(self) -> None:
        """A three-module loop is reported as the list of its modules."""
        cycles = find_cycles({"a": {"b"}, "b": {"c"}, "c": {"a", "d"}, "d": set()})
        assert cycles == [["a", "b", "c", "a"]]

    def test_separate_cycles_are_each_reported(self) -> None:
        """Two loops give two cycles; a chain gives none."""
        assert find_cycles({"a": {"b"}, "b": {"a"}, "x": {"y"}, "y": {"x"}}) == [
            ["a", "b", "a"],
            ["x", "y", "x"],
        ]
        assert find_cycles({"a": {"b"}, "b": {"c"}}) == []

    def test_a_self_import_is_a_cycle(self) -> None:
        """A node importing itself is a cycle."""
        assert find_cycles({"a": {"a"}}) == [["a", "a"]]

    def write(self, root: Path, files: Mapping[str, str]) -> Path:
        """Write a synthetic ``zyw_flow`` package under ``root``."""
        for rel, text in files.items():
            path = root / "zyw_flow" / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, "utf-8")
        return root / "zyw_flow"

    def test_graph_reads_every_kind_of_import(self, tmp_path: Path) -> None:
        """Relative, function-level, TYPE_CHECKING and `from pkg import submodule` imports."""
        folder = self.write(
            tmp_path,
            {
                "__init__.py": "from zyw_flow import _errors\nfrom zyw_flow.dates import x\n",
                "_errors.py": "",
                "dates/__init__.py": "from ._calendar import x\n",
                "dates/_calendar.py": (
                    "from typing import TYPE_CHECKING\n"
                    "if TYPE_CHECKING:\n    from .. import template\n"
                    "def f():\n    from ..template import _build\n    import sqlite3\n"
                ),
                "template/__init__.py": "",
                "template/_build.py": "from . import _model\nfrom .._errors import E\n",
                "template/_model.py": "",
            },
        )
        g = build_graph(folder)
        assert g.edges["zyw_flow"] == {"zyw_flow._errors", "zyw_flow.dates"}
        assert g.edges["zyw_flow.dates"] == {"zyw_flow.dates._calendar"}
        assert g.edges["zyw_flow.dates._calendar"] == {
            "typing",
            "zyw_flow.template",
            "zyw_flow.template._build",
            "sqlite3",
        }
        assert g.runtime_edges["zyw_flow.dates._calendar"] == {
            "typing",
            "zyw_flow.template._build",
            "sqlite3",
        }
        assert g.edges["zyw_flow.template._build"] == {
            "zyw_flow.template._model",
            "zyw_flow._errors",
        }

    def test_an_upward_import_is_a_violation(self, tmp_path: Path) -> None:
        """A function-level import of a higher layer breaks rule (b) and closes a cycle."""
        folder = self.write(
            tmp_path,
            {
                "__init__.py": "",
                "dates/__init__.py": "def f():\n    from zyw_flow.template import load\n",
                "template/__init__.py": "from zyw_flow.dates import parse\n",
            },
        )
        g = build_graph(folder)
        assert violations(g) == {("zyw_flow.dates", "zyw_flow.template")}
        assert find_cycles(component_graph(g)) == [
            ["zyw_flow.dates", "zyw_flow.template", "zyw_flow.dates"]
        ]

    def test_engine_rules(self, tmp_path: Path) -> None:
        """The engine may not import drivers or parsing; the façade only compile and store."""
        folder = self.write(
            tmp_path,
            {
                "__init__.py": "",
                "compile/__init__.py": "",
                "compile/_machine.py": "",
                "store/__init__.py": "",
                "store/_sqlite.py": "",
                "runtime/__init__.py": "from . import _engine, _campaign\n",
                "runtime/_engine.py": "import rich.table\nfrom zyw_flow.store import _sqlite\n",
                "runtime/_campaign.py": (
                    "from zyw_flow.compile import compile_campaign\n"
                    "from zyw_flow.store import open_journal\n"
                    "from zyw_flow.compile._machine import T\n"
                    "from zyw_flow.runtime._engine import apply\n"
                ),
            },
        )
        assert violations(build_graph(folder)) == {
            ("zyw_flow.runtime._engine", "rich.table"),
            ("zyw_flow.runtime._engine", "zyw_flow.store._sqlite"),
            ("zyw_flow.runtime._campaign", "zyw_flow.compile._machine"),
        }
