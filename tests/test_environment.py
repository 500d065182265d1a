"""The declared packages: environment.yml (conda route) lists the same ones as pyproject.toml, and
pyproject splits them right (what helpers/ imports is a runtime dependency, test tools are not)."""

import ast
import re
import sys
from importlib.metadata import packages_distributions
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10 (the test extra installs tomli there)
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
RUNTIME = PYPROJECT["project"]["dependencies"]
TEST_EXTRA = PYPROJECT["project"]["optional-dependencies"]["test"]
TEST_TOOLS = {"pytest", "nbval", "playwright", "psutil", "ruff", "tomli"}
FIRST_PARTY = {"helpers", "tools", "benchmarks"}


def pip_section(text: str) -> list[str]:
    """The entries under ``- pip:`` in environment.yml, comments skipped."""
    entries, inside = [], False
    for line in text.splitlines():
        if re.match(r"^\s*-\s*pip:\s*$", line):
            inside = True
            continue
        if not inside or re.match(r"^\s*(#.*)?$", line):
            continue
        m = re.match(r"^\s{4,}-\s*(\S.*?)\s*$", line)
        if not m:
            break
        entries.append(m.group(1))
    return entries


def normalise(req: str) -> str:
    return re.sub(r"\s+", "", req).replace('"', "'").lower()


def name(req: str) -> str:
    """Distribution name of a requirement: 'ruff>=0.6' -> 'ruff', 'Scikit_Learn' -> 'scikit-learn'."""
    return re.sub(r"[-_.]+", "-", re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", req).group(1)).lower()


def third_party_imports(*folders: str) -> dict[str, str]:
    """Top-level modules imported anywhere in ``folders`` that are neither stdlib nor local,
    each with one file that imports it (for the failure message)."""
    found = {}
    for folder in folders:
        files = sorted((ROOT / folder).rglob("*.py"))
        local = {f.stem for f in files} | FIRST_PARTY
        for path in files:
            for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
                if isinstance(node, ast.Import):
                    modules = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    modules = [node.module]
                else:
                    continue
                for module in modules:
                    top = module.split(".")[0]
                    if top not in sys.stdlib_module_names and top not in local and top != "__future__":
                        found.setdefault(top, str(path.relative_to(ROOT)))
    return found


def undeclared(modules: dict[str, str], requirements: list[str]) -> dict[str, str]:
    """Modules no requirement provides, by installed distribution (sklearn -> scikit-learn),
    or by the module's own name when it is not installed here (tomli on Python >= 3.11)."""
    declared = {name(r) for r in requirements}
    installed = packages_distributions()
    return {module: file for module, file in modules.items()
            if not {name(d) for d in installed.get(module, [module])} & declared}


def test_name_reads_the_distribution_out_of_a_requirement():
    assert name("ruff>=0.6") == "ruff"
    assert name("Scikit_Learn") == "scikit-learn"
    assert name("tomli; python_version < '3.11'") == "tomli"


def test_pip_section_skips_comments_and_stops_at_the_next_key():
    text = "dependencies:\n  - pip\n  - pip:\n      # runtime\n      - numpy\n\n      - -e .[test]\nname: x\n"
    assert pip_section(text) == ["numpy", "-e .[test]"]


def test_environment_yml_lists_the_runtime_and_test_packages_of_pyproject():
    env = pip_section((ROOT / "environment.yml").read_text())
    from_env = sorted(normalise(r) for r in env if not r.startswith("-e"))
    assert from_env == sorted(normalise(d) for d in RUNTIME + TEST_EXTRA)
    assert "-e .[test]" in env, "the conda route must also install helpers itself, with its test extra"


def test_no_package_is_declared_twice():
    names = [name(r) for r in RUNTIME + TEST_EXTRA]
    twice = sorted({n for n in names if names.count(n) > 1})
    assert not twice, f"declared twice in pyproject.toml: {twice}"


def test_test_tools_are_not_runtime_dependencies():
    misplaced = TEST_TOOLS & {name(r) for r in RUNTIME}
    assert not misplaced, f"move {sorted(misplaced)} from dependencies to the test extra of pyproject.toml"


def test_everything_helpers_tools_and_benchmarks_import_is_a_runtime_dependency():
    imported = third_party_imports("helpers", "tools", "benchmarks")
    assert {"tensorflow", "keras", "numpy", "matplotlib"} <= set(imported)
    missing = undeclared(imported, RUNTIME)
    assert not missing, f"add to [project] dependencies in pyproject.toml (module: file): {missing}"


def test_everything_the_tests_import_is_declared():
    imported = third_party_imports("tests")
    assert {"pytest", "psutil", "playwright"} <= set(imported)
    missing = undeclared(imported, RUNTIME + TEST_EXTRA)
    assert not missing, f"add to the test extra in pyproject.toml (module: file): {missing}"


def test_environment_yml_takes_python_from_conda_forge():
    text = (ROOT / "environment.yml").read_text()
    assert "conda-forge" in text and re.search(r"python>=3\.1\d", text)
    assert PYPROJECT["project"]["requires-python"] == ">=3.10" and "python>=3.10" in text
