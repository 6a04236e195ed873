"""Apps import only "downwards" (README, Architecture): the rule is read from the code.

Every import statement of every module of an app (at module level or inside a function,
`import x` or `from x import y`, plus `apps.get_model("label", …)` and
`import_module("…")` calls that would dodge it) is checked against the app's allowed
portal apps. Migrations are left out: they name other apps' migrations by design.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PORTAL_APPS = {"core", "accounts", "territories", "experiences", "studies", "partnerships"}
ALLOWED = {
    "core": set(),
    "accounts": {"core"},
    "territories": {"core", "accounts"},
    "experiences": {"core", "accounts", "territories"},
    "studies": {"core", "accounts", "territories", "experiences"},
    "partnerships": {"core", "accounts", "territories", "experiences", "studies"},
}


def imported_apps(path: Path) -> set[tuple[str, int]]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found = set()
    for node in ast.walk(tree):
        names = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
            func = node.func
            called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if called in {"get_model", "import_module", "import_string", "get_app_config"}:
                value = node.args[0].value
                if isinstance(value, str):
                    names = [value.replace(".", " ").split()[0] if value else ""]
        for name in names:
            top = name.split(".")[0]
            if top in PORTAL_APPS:
                found.add((top, node.lineno))
    return found


def violations(app: str) -> list[str]:
    problems = []
    for path in sorted((ROOT / app).rglob("*.py")):
        if "migrations" in path.parts:
            continue
        for other, line in imported_apps(path):
            if other != app and other not in ALLOWED[app]:
                problems.append(f"{path.relative_to(ROOT)}:{line} imports {other}")
    return problems


@pytest.mark.parametrize("app", sorted(ALLOWED))
def test_each_app_imports_only_the_apps_below_it(app):
    assert not violations(app), "\n".join(violations(app))


def test_core_is_a_kernel_that_imports_no_portal_app_at_all():
    assert not violations("core")
    text = "\n".join(p.read_text() for p in (ROOT / "core").rglob("*.py") if "migrations" not in p.parts)
    for app in PORTAL_APPS - {"core"}:
        assert f'"{app}"' not in text and f"'{app}'" not in text, f"core names the {app} app"


def test_the_checker_sees_a_lazy_import_and_a_get_model_call(tmp_path):
    module = tmp_path / "m.py"
    module.write_text(
        "def f():\n    from experiences.models import Contact\n"
        "def g(apps):\n    return apps.get_model('studies', 'ReportVersion')\n"
    )
    assert {app for app, _line in imported_apps(module)} == {"experiences", "studies"}
