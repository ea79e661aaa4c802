"""Imports between the packages of ``app`` flow one way.

The order, from the bottom up (a package imports only from packages on its
left; packages on the same rung are siblings and do not import each other):

    core ← geography ← accounts ← consultations ← comments
         ← moderation, summaries ← digests, insight ← api, admin, site, privacy ← opendata

Every ``import`` statement counts, including those inside functions: an import
deferred into a function body is still a dependency, only a hidden one.
``app/extensions.py`` (the extensions, created unbound) stands with core.
``app/__init__.py`` and ``app/models.py`` assemble the application from every
package and stand above the order. No package imports another package's view
module: what a view knows that others need (a permission check, a loader)
belongs in that package's ``policy.py`` or ``queries.py``.
"""

from __future__ import annotations

import ast
from pathlib import Path

APP = Path(__file__).resolve().parents[2] / "app"

LAYERS: list[set[str]] = [
    {"core"},
    {"geography"},
    {"accounts"},
    {"consultations"},
    {"comments"},
    {"moderation", "summaries"},
    {"digests", "insight"},
    {"api", "admin", "site", "privacy"},  # privacy: a person's data from every domain
    {"opendata"},  # published data sets, built with the API's serialisers
]
RUNG = {package: n for n, rung in enumerate(LAYERS) for package in rung}

# Imports that still go against the order, each with the reason it is left for now.
# The test fails on any import not listed here, and on a listed one that has gone
# (so the list only shrinks).
ALLOWED: dict[tuple[str, str], str] = {}


def _package(module: str) -> str | None:
    parts = module.split(".")
    if parts[:2] == ["app", "extensions"]:
        return "core"
    return parts[1] if len(parts) > 1 and parts[0] == "app" else None


def _is_view_module(module: str) -> bool:
    last = module.rsplit(".", 1)[-1]
    return last == "views" or last.endswith("_views")


def _imports(path: Path) -> set[str]:
    """Every ``app.…`` module the file imports, wherever the statement stands."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    module = ".".join(path.relative_to(APP.parent).with_suffix("").parts)
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolve against this module's package
                base = module.split(".")[: -node.level] if path.name != "__init__.py" else \
                    module.split(".")[: len(module.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            found.add(target)
            # ``from app import comments`` names a package, not a module attribute
            if target == "app":
                found.update(f"app.{alias.name}" for alias in node.names)
    return {name for name in found if name == "app" or name.startswith("app.")}


def violations() -> dict[tuple[str, str], str]:
    """(importing module, imported module) → why it breaks the order."""
    found: dict[tuple[str, str], str] = {}
    for path in sorted(APP.rglob("*.py")):
        if "translations" in path.parts:
            continue
        module = ".".join(path.relative_to(APP.parent).with_suffix("").parts)
        here = _package(module)
        if here not in RUNG:
            continue  # app/__init__.py, extensions.py, models.py assemble everything
        for target in _imports(path):
            there = _package(target)
            if there is None or there == here:
                continue
            if _is_view_module(target):
                found[(module, target)] = f"{here} imports a view module of {there}"
                continue
            if there not in RUNG:
                found[(module, target)] = f"{here} imports {target}, which stands above every package"
            elif RUNG[there] > RUNG[here]:
                found[(module, target)] = f"{here} (rung {RUNG[here]}) imports {there} (rung {RUNG[there]})"
            elif RUNG[there] == RUNG[here]:
                found[(module, target)] = f"{here} imports its sibling {there}"
    return found


def test_every_package_is_placed_in_the_order():
    packages = {p.name for p in APP.iterdir() if p.is_dir() and (p / "__init__.py").exists() or
                (p.is_dir() and any(p.glob("*.py")))}
    packages.discard("translations")
    packages.discard("__pycache__")
    assert packages <= set(RUNG), f"place these packages in LAYERS: {sorted(packages - set(RUNG))}"


def test_imports_follow_the_layer_order():
    found = violations()
    new = {pair: why for pair, why in found.items() if pair not in ALLOWED}
    assert not new, "imports against the layer order:\n" + "\n".join(
        f"  {a} → {b}: {why}" for (a, b), why in sorted(new.items()))


def test_allowlist_names_only_imports_that_still_exist():
    gone = set(ALLOWED) - set(violations())
    assert not gone, f"remove these from ALLOWED, they no longer occur: {sorted(gone)}"


def test_the_walk_sees_imports_inside_functions(tmp_path):
    source = tmp_path / "probe.py"
    source.write_text("def f():\n    from app.moderation import services\n    import app.digests.views\n")
    tree_imports = set()
    for node in ast.walk(ast.parse(source.read_text())):
        if isinstance(node, ast.ImportFrom):
            tree_imports.add(node.module)
        elif isinstance(node, ast.Import):
            tree_imports.update(a.name for a in node.names)
    assert tree_imports == {"app.moderation", "app.digests.views"}
