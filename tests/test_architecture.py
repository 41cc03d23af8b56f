"""The process wiring and the module boundaries, checked on the source (docs/architecture.md).

- No module-level mutable state outside `core`: a module-level name bound to a dict, list or set
  that its module mutates, or to an object (a call of a class), is listed; only the few in
  ALLOWED_OBJECTS (each with its reason) may exist. What a process shares lives on its
  `Runtime` (marketing_agent/runtime.py).
- The boundary: a module imports another only through its `service` (the gateway, which
  assembles the app, may also import each module's `api` router); `core` imports no module;
  no module imports `gateway` or `cli`; the runtime is named by modules for type checking only.
  What crosses a module line is the module's own frozen read type (telegram's SenderInfo,
  experiments' ExperimentHandle), never an ORM row. BOUNDARY_TODO (empty) may only shrink.
- The docs name no paths of a particular machine (relative paths only).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "marketing_agent"
MODULES = frozenset(
    {
        "agent",
        "analytics",
        "compliance",
        "experiments",
        "gateway",
        "orchestrator",
        "safety",
        "telegram",
    }
)
_MUTATORS = frozenset(
    "append add update clear pop popitem setdefault extend insert remove discard".split()
)
# (file, name): why it may be module-level.
ALLOWED_OBJECTS: dict[tuple[str, str], str] = {
    ("gateway/service.py", "_hasher"): "PasswordHasher(): stateless argon2 parameters",
    ("experiments/stats.py", "FLAT_PRIOR"): "a frozen dataclass: a constant",
    ("telegram/botapi.py", "_ANSWER"): "a ContextVar: its value is per task, set around a send",
    ("telegram/botapi.py", "_ANSWER_TRACE"): "a frozen aiohttp TraceConfig: one callback, no state",
    # Prometheus metrics live in the client library's process-wide registry by design.
    ("gateway/middleware.py", "HTTP_LATENCY"): "a Prometheus metric (process-wide by design)",
    ("gateway/middleware.py", "HTTP_REQUESTS"): "a Prometheus metric (process-wide by design)",
    ("telegram/metrics.py", "FLOOD_WAITS"): "a Prometheus metric (process-wide by design)",
    ("telegram/metrics.py", "FLOOD_WAIT_SECONDS"): "a Prometheus metric (process-wide by design)",
    ("safety/metrics.py", "SCORE"): "a Prometheus metric (process-wide by design)",
    ("safety/metrics.py", "COOLING_DOWN"): "a Prometheus metric (process-wide by design)",
    ("safety/metrics.py", "FLOOD_WAITS_24H"): "a Prometheus metric (process-wide by design)",
    ("safety/metrics.py", "SPAM_REPLIES_24H"): "a Prometheus metric (process-wide by design)",
    ("telegram/simulator_http.py", "_NO_REACTIONS"): "a frozen behaviour model (configuration)",
    ("analytics/conversions.py", "_ONE"): "a pydantic TypeAdapter: a stateless validator",
    ("orchestrator/campaign_pages.py", "PAGE_JSON"): "a pydantic TypeAdapter: a serialiser",
}
# Built at import and never changed: routers and CLI apps (assembled once), templates, struct
# formats, type variables.
_ALLOWED_CALLS = frozenset({"APIRouter", "Typer", "TypeVar", "Template", "Struct"})

# Imports across module lines that break the rule: (importing file, imported module). Empty:
# every module reaches another through its service (and the read types that service
# re-exports); keep it so.
BOUNDARY_TODO: frozenset[tuple[str, str]] = frozenset()


def _files() -> list[Path]:
    return sorted(SRC.rglob("*.py"))


def _rel(path: Path) -> str:
    return path.relative_to(SRC).as_posix()


def _is_object_call(node: ast.expr) -> str | None:
    if not isinstance(node, ast.Call):
        return None
    func = node.func
    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
    if name in ("dict", "list", "set", "defaultdict", "deque", "Counter"):
        return name
    if name[:1].isupper() and name not in _ALLOWED_CALLS:
        return name
    return None


def _mutated_names(tree: ast.Module) -> set[str]:
    mutated: set[str] = set()
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in _MUTATORS
            and isinstance(node.func.value, ast.Name)
        ):
            mutated.add(node.func.value.id)
        targets: list[ast.expr] = []
        if isinstance(node, ast.Assign | ast.AugAssign | ast.Delete):
            targets = list(node.targets) if not isinstance(node, ast.AugAssign) else [node.target]
        for target in targets:
            if isinstance(target, ast.Subscript) and isinstance(target.value, ast.Name):
                mutated.add(target.value.id)
        if isinstance(node, ast.Global):
            mutated.update(node.names)
    return mutated


def module_state() -> dict[tuple[str, str], str]:
    """Returns the module-level mutable state outside core: (file, name) -> what it is."""
    found: dict[tuple[str, str], str] = {}
    for path in _files():
        rel = _rel(path)
        if rel.startswith("core/"):
            continue
        tree = ast.parse(path.read_text(), filename=rel)
        mutated = _mutated_names(tree)
        for stmt in tree.body:
            if isinstance(stmt, ast.Assign):
                names = [t.id for t in stmt.targets if isinstance(t, ast.Name)]
                value = stmt.value
            elif isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
                names, value = [stmt.target.id], stmt.value
            else:
                continue
            if value is None:
                continue
            called = _is_object_call(value)
            literal = isinstance(value, ast.Dict | ast.List | ast.Set | ast.DictComp | ast.ListComp)
            for name in names:
                if name == "__all__":
                    continue
                if called and called not in ("dict", "list", "set"):
                    found[rel, name] = f"an object: {called}()"
                elif (literal or called) and name in mutated:
                    found[rel, name] = "a container its module mutates"
    return found


def test_no_module_level_mutable_state_outside_core() -> None:
    found = module_state()
    unexplained = {key: what for key, what in found.items() if key not in ALLOWED_OBJECTS}
    assert not unexplained, (
        "module-level state belongs on the Runtime (marketing_agent/runtime.py), "
        f"or in ALLOWED_OBJECTS with a reason: {unexplained}"
    )
    stale = set(ALLOWED_OBJECTS) - set(found)
    assert not stale, f"no longer there: remove from ALLOWED_OBJECTS: {stale}"


def _imports(tree: ast.Module) -> list[tuple[str, bool]]:
    """Returns each imported `marketing_agent...` dotted name, and whether it is imported for
    type checking only."""
    typing_only: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for inner in node.body:
                typing_only.update(id(n) for n in ast.walk(inner))
    found: list[tuple[str, bool]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(a.name, id(node) in typing_only) for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                found.append((f"{node.module}.{alias.name}", id(node) in typing_only))
    return [(name, t) for name, t in found if name.startswith("marketing_agent.")]


def boundary_leaks() -> set[tuple[str, str]]:
    """Returns (file, imported name) for each import that breaks the boundary rule."""
    leaks: set[tuple[str, str]] = set()
    for path in _files():
        rel = _rel(path)
        parts = rel.split("/")
        own = parts[0] if len(parts) > 1 else None
        if own is None:  # top level: cli, runtime, demo, bootstrap assemble the modules
            continue
        for name, typing_only in _imports(ast.parse(path.read_text(), filename=rel)):
            target = name.split(".")
            if len(target) < 2:
                continue
            other = target[1]
            if other in ("cli", "runtime"):
                # The gateway assembles the app on the runtime; the others name it for types.
                if other == "cli" or not (typing_only or own == "gateway"):
                    leaks.add((rel, ".".join(target[:2])))
                continue
            if own == "core":
                if other in MODULES:
                    leaks.add((rel, ".".join(target[:3])))
                continue
            if other not in MODULES or other == own:
                continue
            if other == "gateway":
                leaks.add((rel, ".".join(target[:3])))
                continue
            sub = target[2] if len(target) > 2 else ""
            if sub == "service" or (own == "gateway" and sub == "api"):
                continue
            leaks.add((rel, ".".join(target[:3])))
    return leaks


def test_modules_talk_only_through_their_services() -> None:
    leaks = boundary_leaks()
    new = sorted(leaks - BOUNDARY_TODO)
    assert not new, f"imports across module lines that skip the module's service: {new}"
    fixed = sorted(BOUNDARY_TODO - leaks)
    assert not fixed, f"fixed, remove from BOUNDARY_TODO: {fixed}"


_MACHINE_PATH = re.compile(r"(?<![\w.])/(?:work|home|Users|root|tmp|opt|srv)/[\w.-]+")


def test_the_docs_name_no_paths_of_a_particular_machine() -> None:
    root = SRC.parents[1]
    found = {
        doc.relative_to(root).as_posix(): _MACHINE_PATH.findall(doc.read_text())
        for doc in [root / "README.md", *sorted((root / "docs").glob("*.md"))]
    }
    assert not {doc: paths for doc, paths in found.items() if paths}, "use relative paths"
