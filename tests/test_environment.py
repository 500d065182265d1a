"""environment.yml (conda route) must list the same packages as pyproject.toml."""

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def pip_section(text: str) -> list[str]:
    lines, inside = [], False
    for line in text.splitlines():
        if re.match(r"^\s*-\s*pip:\s*$", line):
            inside = True
            continue
        if inside:
            m = re.match(r"^\s{4,}-\s*(\S.*)$", line)
            if not m:
                break
            lines.append(m.group(1).strip())
    return lines


def normalise(req: str) -> str:
    return re.sub(r"\s+", "", req).lower()


def test_environment_yml_matches_pyproject():
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    env = pip_section((ROOT / "environment.yml").read_text())
    from_env = sorted(normalise(r) for r in env if not r.startswith("-e"))
    assert from_env == sorted(normalise(d) for d in deps)
    assert "-e ." in env, "the conda route must also install helpers itself"


def test_environment_yml_takes_python_from_conda_forge():
    text = (ROOT / "environment.yml").read_text()
    assert "conda-forge" in text and re.search(r"python>=3\.1\d", text)
    py = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"]
    assert py == ">=3.10" and "python>=3.10" in text
