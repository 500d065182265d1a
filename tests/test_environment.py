"""The declared packages and their pinned versions: pyproject.toml splits them right (what helpers/
imports is a runtime dependency, test tools are not); requirements.lock pins every package, with
hashes, inside pyproject's ranges; environment.yml (conda route) pins the same versions; and the
Makefile installs the lock unless told LOCK=0, reinstalling when the lock, pyproject or mode changes."""

import ast
import os
import re
import shutil
import subprocess
import sys
from importlib.metadata import packages_distributions
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

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
LOCKFILE = ROOT / "requirements.lock"
LOCK_TEXT = LOCKFILE.read_text()
PIN = re.compile(r"(?P<name>[A-Za-z0-9][\w.-]*)==(?P<version>[^\s;\\]+)(?P<hashes>(?:\s+--hash=\S+)*)")
NEEDS_MAKE = pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")


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


def locked(text: str) -> dict[str, tuple[str, list[str]]]:
    """Each requirement of a lock file (uv or pip-compile output): name -> (version, sha256 hashes).
    Anything but an exact ``name==version`` pin with ``--hash=sha256:`` options is an error."""
    pins = {}
    for line in text.replace("\\\n", " ").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        m = PIN.fullmatch(line)
        if not m:
            raise ValueError(f"not an exact pin: {line[:80]!r}")
        hashes = m["hashes"].split()
        bad = [h for h in hashes if not re.fullmatch(r"--hash=sha256:[0-9a-f]{64}", h)]
        if bad or canonicalize_name(m["name"]) in pins:
            raise ValueError(f"{m['name']}: a bad hash {bad} or a second pin")
        pins[canonicalize_name(m["name"])] = (m["version"], [h.split(":", 1)[1] for h in hashes])
    return pins


def lock_python() -> str:
    """The Python version the lock was compiled for, read from the command in its header."""
    return re.search(r"^#.*--python-version (3\.\d+)", LOCK_TEXT, re.M).group(1)


def declared_for_lock() -> list[Requirement]:
    """pyproject's requirements (runtime and test) that apply where the lock applies (Linux x86_64,
    the lock's Python): ``tomli; python_version < '3.11'`` does not on 3.11."""
    target = {"python_version": lock_python(), "python_full_version": f"{lock_python()}.0",
              "sys_platform": "linux", "platform_system": "Linux", "platform_machine": "x86_64"}
    requirements = [Requirement(r) for r in RUNTIME + TEST_EXTRA]
    return [r for r in requirements if r.marker is None or r.marker.evaluate(target)]


def make_dry_run(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    """`make -n ARGS`, with no LOCK or make settings inherited from the caller."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MAKE", "MFLAGS")) and k != "LOCK"}
    return subprocess.run(["make", "-n", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=30)


def test_name_reads_the_distribution_out_of_a_requirement():
    assert name("ruff>=0.6") == "ruff"
    assert name("Scikit_Learn") == "scikit-learn"
    assert name("tomli; python_version < '3.11'") == "tomli"


def test_pip_section_skips_comments_and_stops_at_the_next_key():
    text = "dependencies:\n  - pip\n  - pip:\n      # runtime\n      - numpy\n\n      - -e .[test]\nname: x\n"
    assert pip_section(text) == ["numpy", "-e .[test]"]


def test_locked_reads_versions_and_hashes_and_refuses_anything_looser():
    digest = "ab" * 32
    text = f"# header\nkeras==3.15.1 \\\n    --hash=sha256:{digest}\n    # via foo\nScikit_Learn==1.9.1\n"
    assert locked(text) == {"keras": ("3.15.1", [digest]), "scikit-learn": ("1.9.1", [])}
    for loose in ("numpy>=2", "numpy==2.4.6 --hash=md5:00", "-e .", f"x==1 --hash=sha256:{digest}\nx==2"):
        with pytest.raises(ValueError):
            locked(loose)


def test_every_locked_requirement_has_a_sha256_hash():
    pins = locked(LOCK_TEXT)
    assert len(pins) > 50, "requirements.lock must pin every package, not only the declared ones"
    unhashed = sorted(n for n, (_, hashes) in pins.items() if not hashes)
    assert not unhashed, f"no --hash=sha256: for {unhashed}: run make lock (it passes --generate-hashes)"


def test_lock_pins_every_declared_package_inside_its_range():
    pins = locked(LOCK_TEXT)
    for req in declared_for_lock():
        key = canonicalize_name(req.name)
        assert key in pins, f"{req.name} is in pyproject.toml, not in requirements.lock: run make lock"
        version = pins[key][0]
        assert req.specifier.contains(version, prereleases=True), (
            f"requirements.lock pins {req.name}=={version}, outside pyproject's {req}: run make lock")


def test_lock_has_the_packages_the_stack_is_tested_with():
    pins = locked(LOCK_TEXT)
    assert Version(pins["tensorflow"][0]) >= Version("2.16") and Version(pins["keras"][0]).major == 3
    assert {"pytest", "nbval", "playwright", "psutil", "ruff", "jupyterlab", "protobuf"} <= set(pins)
    assert "tomli" not in pins, "the lock is for Python 3.11, which has tomllib"


def test_lock_header_says_when_and_how_it_was_refreshed():
    header = LOCK_TEXT.split("\n", 4)[:4]
    assert re.fullmatch(r"# Refreshed \d{4}-\d{2}-\d{2} with `make lock` .*", header[1])
    assert "uv pip compile pyproject.toml --extra test --generate-hashes --python-version 3.11" in header[2]
    assert "LOCK=0" in header[3]


def test_environment_yml_pins_each_declared_package_at_its_locked_version():
    env = pip_section((ROOT / "environment.yml").read_text())
    pins = locked(LOCK_TEXT)
    expected = sorted(f"{canonicalize_name(r.name)}=={pins[canonicalize_name(r.name)][0]}"
                      for r in declared_for_lock())
    found = sorted(re.sub(r"^([^=]+)==", lambda m: canonicalize_name(m[1]) + "==", e)
                   for e in env if not e.startswith("-e"))
    assert found == expected, "environment.yml's pip pins differ from requirements.lock: run make lock"
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


def test_environment_yml_takes_the_locks_python_from_conda_forge():
    text = (ROOT / "environment.yml").read_text()
    assert "conda-forge" in text and f"  - python={lock_python()}\n" in text
    assert PYPROJECT["project"]["requires-python"] == ">=3.10", "LOCK=0 still serves Python 3.10"


def test_readme_says_when_the_lock_was_refreshed_and_how_to_refresh_it():
    date = re.search(r"Refreshed (\S+)", LOCK_TEXT).group(1)
    readme = (ROOT / "README.md").read_text()
    assert date in readme, f"README.md must say the lock was last refreshed on {date} (requirements.lock)"
    assert "make lock" in readme and "LOCK=0" in readme


# --------------------------------------------------------------------------- the Makefile

@NEEDS_MAKE
def test_make_test_installs_the_lock_with_hashes_then_helpers_without_dependencies():
    lines = make_dry_run("-B", "test").stdout.splitlines()
    install_lock = ".venv/bin/python -m pip install --quiet --require-hashes -r requirements.lock"
    lock = next(i for i, line in enumerate(lines) if line.startswith(install_lock))
    assert lines.index(".venv/bin/python -m pip install --quiet --no-deps -e .") == lock + 1
    assert not [line for line in lines if "[test]" in line or "--upgrade-strategy" in line]
    assert "LOCK=0" in lines[lock], "a failed lock install must say how to install without it"


@NEEDS_MAKE
def test_make_lab_installs_the_same_lock():
    lines = make_dry_run("-B", "lab").stdout.splitlines()
    assert [line for line in lines if "--require-hashes -r requirements.lock" in line]
    assert lines[-1] == "bash tools/lab.sh"


@NEEDS_MAKE
def test_lock_0_installs_the_newest_versions_and_make_lab_leaves_out_the_test_tools():
    newest = ".venv/bin/python -m pip install --quiet --upgrade --upgrade-strategy eager -e"
    lab = make_dry_run("-B", "lab", "LOCK=0").stdout.splitlines()
    test = make_dry_run("-B", "test", "LOCK=0").stdout.splitlines()
    assert f"{newest} ." in lab and not [line for line in lab if "[test]" in line]
    assert f"{newest} '.[test]'" in test
    assert not [line for line in lab + test if "requirements.lock" in line]


@NEEDS_MAKE
def test_an_unknown_lock_mode_is_refused_with_the_choices():
    done = make_dry_run("lab", "LOCK=yes")
    assert done.returncode != 0 and "LOCK=1" in done.stderr and "LOCK=0" in done.stderr


@NEEDS_MAKE
def test_make_lock_runs_the_refresh_script():
    assert make_dry_run("lock").stdout.splitlines()[-1] == "bash tools/refresh_lock.sh"


@NEEDS_MAKE
def test_each_mode_reinstalls_when_its_inputs_change_and_clears_the_other_modes_stamps(tmp_path):
    for file in ("Makefile", "pyproject.toml", "requirements.lock"):
        shutil.copy(ROOT / file, tmp_path / file)
    (tmp_path / ".venv" / "bin").mkdir(parents=True)
    (tmp_path / ".venv" / "bin" / "python").touch(mode=0o755)
    stamps = {"1": tmp_path / ".venv" / ".installed-lock", "0": tmp_path / ".venv" / ".installed-newest"}
    for stamp in stamps.values():
        stamp.touch()

    def installs(mode: str) -> list[str]:
        run = make_dry_run(f"LOCK={mode}", str(stamps[mode].relative_to(tmp_path)), cwd=tmp_path)
        return [line for line in run.stdout.splitlines() if "pip install" in line]

    assert installs("1") == [] and installs("0") == [], "stamps newer than their inputs: nothing to do"
    os.utime(tmp_path / "requirements.lock", (2e9, 2e9))
    assert installs("1") and installs("0") == [], "a new lock reinstalls LOCK=1 only"
    os.utime(tmp_path / "pyproject.toml", (2e9, 2e9))
    assert installs("0")
    lock_mode = make_dry_run("-B", "LOCK=1", ".venv/.installed-lock", cwd=tmp_path).stdout
    newest_mode = make_dry_run("-B", "LOCK=0", ".venv/.installed-newest", cwd=tmp_path).stdout
    assert "rm -f .venv/.installed-newest .venv/.installed-newest-test" in lock_mode
    assert "rm -f .venv/.installed-lock" in newest_mode
