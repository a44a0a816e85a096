"""The import rules of ARCHITECTURE.md, checked on the source: a change that breaks one fails here.

Every import counts, also those inside functions; only imports under `if TYPE_CHECKING:` (never run) are left out.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIRST_PARTY = ('app', 'api', 'cli', 'components', 'pages', 'services', 'workers')
INTERFACES = ('api', 'cli', 'components', 'pages', 'workers')
PACKAGES = sorted(p.name for p in (ROOT / 'services').iterdir() if (p / '__init__.py').exists())


@dataclass(frozen=True)
class Import:
    module: str  # the importing module, e.g. services.usage.ingest
    target: str  # what it imports, as deep as it is named: services.eco.estimate.energy
    line: int


def _module_name(path: Path) -> str:
    return '.'.join(path.relative_to(ROOT).with_suffix('').parts).removesuffix('.__init__')


def _runtime_nodes(tree: ast.AST):
    """Every node except those under `if TYPE_CHECKING:`."""
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.If) and 'TYPE_CHECKING' in ast.unparse(node.test):
            stack.extend(node.orelse)
            continue
        yield node
        stack.extend(ast.iter_child_nodes(node))


def _imports() -> list[Import]:
    found = []
    files = [ROOT / 'app.py', *(p for top in FIRST_PARTY[1:] for p in (ROOT / top).rglob('*.py'))]
    for path in files:
        if 'migrations' in path.parts:
            continue
        module = _module_name(path)
        for node in _runtime_nodes(ast.parse(path.read_text(encoding='utf-8'))):
            if isinstance(node, ast.Import):
                found += [Import(module, alias.name, node.lineno) for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                found += [Import(module, f'{node.module}.{alias.name}', node.lineno) for alias in node.names]
    return found


IMPORTS = _imports()
MODULES = {i.module for i in IMPORTS} | {_module_name(p) for p in (ROOT / 'services').rglob('*.py')}


def _layer(name: str) -> str:
    """'services.<package>' for a domain package, 'kernel' for services' flat modules, else the top folder."""
    parts = name.split('.')
    if parts[0] != 'services':
        return parts[0]
    return f'services.{parts[1]}' if len(parts) > 2 and parts[1] in PACKAGES else 'kernel'


def _module_of(target: str) -> str | None:
    """The first-party module an import names (`services.eco.estimate.energy` -> `services.eco.estimate`)."""
    parts = target.split('.')
    for end in range(len(parts), 0, -1):
        if '.'.join(parts[:end]) in MODULES:
            return '.'.join(parts[:end])
    return None


def _breaking(rule) -> list[str]:
    return [f'{i.module}:{i.line} imports {i.target}' for i in IMPORTS if rule(i)]


def test_the_rules_see_every_layer():
    layers = {_layer(i.module) for i in IMPORTS}
    assert {'app', 'kernel', *INTERFACES} | {f'services.{p}' for p in PACKAGES} <= layers
    assert {'account', 'billing', 'eco', 'keys', 'live', 'notifications', 'routing', 'usage'} == set(PACKAGES)


def test_services_know_nothing_of_the_interfaces_or_the_web():
    web = ('nicegui', 'fastapi', 'starlette', 'plotly')
    assert not _breaking(
        lambda i: i.module.startswith('services') and i.target.split('.')[0] in (*INTERFACES, 'app', *web)
    )


def test_the_kernel_does_not_depend_on_a_domain_package():
    assert not _breaking(lambda i: _layer(i.module) == 'kernel' and _layer(i.target).startswith('services.'))


def test_private_modules_are_used_only_inside_their_package():
    def foreign(i: Import) -> bool:
        module = _module_of(i.target)
        if module is None or not module.startswith('services.'):
            return False
        private = any(part.startswith('_') for part in module.split('.')[2:])
        return private and _layer(i.module) != _layer(module)

    assert not _breaking(foreign)


@pytest.mark.parametrize('interface', ['pages', 'components'])
def test_pages_and_components_run_no_sql(interface):
    assert not _breaking(
        lambda i: i.module.startswith(interface) and i.target.split('.')[0] in ('sqlalchemy', 'sqlmodel')
    )


@pytest.mark.parametrize(
    ('interface', 'forbidden'),
    [
        ('api', ('pages', 'components', 'cli', 'workers')),
        ('pages', ('api', 'cli', 'workers')),
        ('components', ('api', 'pages', 'cli', 'workers')),
        ('cli', ('api', 'pages', 'components', 'workers')),
        ('workers', ('api', 'pages', 'components', 'cli')),
    ],
)
def test_interfaces_do_not_reach_into_each_other(interface, forbidden):
    assert not _breaking(lambda i: i.module.startswith(interface) and i.target.split('.')[0] in forbidden)


def test_no_module_imports_itself_back():
    graph: dict[str, set[str]] = {}
    for i in IMPORTS:
        target = _module_of(i.target)
        if target and target != i.module and not i.module.startswith(target + '.'):
            graph.setdefault(i.module, set()).add(target)
    assert _cycles(graph) == []


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph.get(start, ()))))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_the_cycle_finder_finds_a_cycle():
    assert _cycles({'a': {'b'}, 'b': {'c'}, 'c': {'a'}, 'd': {'a'}}) == [['a', 'b', 'c']]
    assert _cycles({'a': {'b'}, 'b': set()}) == []
