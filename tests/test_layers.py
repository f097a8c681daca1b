"""Imports run one way: each package module imports only from the layers below it
(docs/architecture.md, "Map"). The start-time module is the base, below them all (the start-up gate,
which the startup files import, sits on it); it enters the package through one door, the functions
of the package's ``__init__``: the one arrow that goes up.

Read from the source with ``ast``, imports inside functions included: a cycle hidden in a function
body is still a cycle for a reader, and for a lock held across the call.
"""

import ast
import os

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PACKAGE = os.path.join(ROOT, "src", "sandbox_trust")
BOOT = "_sandbox_trust_boot"
GATE = "_sandbox_trust_gate"  # what the startup files import: the boot module's only importer at start
DOOR = "sandbox_trust"  # its __init__: imports only inside the functions the boot module calls

# The map's layers, bottom first; the start-time module (the base) is below them all.
LAYERS = (
    (BOOT,),
    (GATE,),
    ("sandbox_trust._der",),
    (
        "sandbox_trust._cafile",
        "sandbox_trust._x509",
        "sandbox_trust._subject_hash",
        "sandbox_trust._cache",
        "sandbox_trust._start_report",
        "sandbox_trust._waits",
    ),
    ("sandbox_trust._anchor",),
    ("sandbox_trust._ca", "sandbox_trust._bundles"),
    ("sandbox_trust._hashed_dirs", "sandbox_trust._nss", "sandbox_trust._java", "sandbox_trust._children"),
    ("sandbox_trust.patches", "sandbox_trust._status", "sandbox_trust._java_start"),
    ("sandbox_trust._demo", "sandbox_trust._demo_probe", "sandbox_trust._venv_install"),
    ("sandbox_trust.cli",),
    ("sandbox_trust.__main__",),
)


def _modules():
    found = {}
    for directory, _subdirectories, names in os.walk(PACKAGE):
        for name in names:
            if name.endswith(".py"):
                path = os.path.join(directory, name)
                dotted = os.path.relpath(path, os.path.dirname(PACKAGE))[:-3].replace(os.sep, ".")
                found[dotted.removesuffix(".__init__")] = path
    for name in (BOOT, GATE):
        found[name] = os.path.join(ROOT, "src", name + ".py")
    return found


def _imports(path, modules):
    """Package modules named by every import statement in ``path``, at any depth."""
    named = set()
    for node in ast.walk(ast.parse(open(path).read())):
        if isinstance(node, ast.Import):
            named.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            named.add(node.module)
            named.update("%s.%s" % (node.module, alias.name) for alias in node.names)
    return {name for name in named if name in modules and name != "sandbox_trust"}


def _layer(module):
    for number, layer in enumerate(LAYERS):
        if module in layer or any(module.startswith(owner + ".") for owner in layer):
            return number
    raise AssertionError("%s is in no layer of docs/architecture.md's map: add it there and here" % module)


MODULES = _modules()


@pytest.mark.parametrize("module", sorted(name for name in MODULES if name != BOOT))
def test_imports_only_from_layers_below(module):
    # The door (the package's __init__) sits below the commands, above what it calls; every module
    # imports the package (for __version__, or as the package of what it imports): not an arrow.
    own = _layer("sandbox_trust._demo") if module == DOOR else _layer(module)
    for imported in _imports(MODULES[module], MODULES):
        if module != DOOR and (imported.startswith(module + ".") or module.startswith(imported + ".")):
            continue  # a package and its own submodules (patches/__init__ and the patch modules)
        assert _layer(imported) < own or (
            _layer(imported) == own and module.startswith("sandbox_trust.patches.")
        ), "%s (layer %d) imports %s (layer %d)" % (module, own, imported, _layer(imported))


def _named(path):
    """Every ``sandbox_trust`` name an import statement in ``path`` names, the package itself included."""
    named = set()
    for node in ast.walk(ast.parse(open(path).read())):
        if isinstance(node, ast.Import):
            named.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            named.add(node.module)
            named.update("%s.%s" % (node.module, alias.name) for alias in node.names)
    return {name for name in named if name.split(".")[0] == "sandbox_trust"}


def test_the_boot_module_enters_the_package_only_through_the_door():
    assert _named(MODULES[BOOT]) == {DOOR}
    with open(MODULES[BOOT]) as f:
        calls = {
            node.attr
            for node in ast.walk(ast.parse(f.read()))
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == DOOR
        }
    with open(MODULES[DOOR]) as f:
        door = {node.name for node in ast.parse(f.read()).body if isinstance(node, ast.FunctionDef)}
    assert calls and calls <= door, calls - door


def test_the_gate_imports_only_os_and_the_boot_module():
    """It runs at every start, opted out included: nothing of the package, nothing site has not loaded."""
    with open(MODULES[GATE]) as f:
        tree = ast.parse(f.read())
    named = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    assert named == {"os", BOOT}
    assert not [node for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)]


def test_the_door_imports_nothing_until_called():
    """Importing it is the whole price of entering: its imports are inside its functions."""
    tree = ast.parse(open(MODULES[DOOR]).read())
    assert not [node for node in tree.body if isinstance(node, (ast.Import, ast.ImportFrom))]


def test_no_cycle():
    """No cycle but through the door: the package imports the base, the base calls the door lazily."""
    graph = {module: _imports(path, MODULES) for module, path in MODULES.items()}
    graph[BOOT] = set()  # its one arrow, the door, is a call into the package, made lazily
    done, active = set(), []

    def visit(module):
        if module in active:
            raise AssertionError("import cycle: %s" % " -> ".join(active[active.index(module) :] + [module]))
        if module in done:
            return
        active.append(module)
        for imported in graph[module]:
            visit(imported)
        active.pop()
        done.add(module)

    for module in graph:
        visit(module)
