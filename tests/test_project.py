"""The project's own promises: the README's two commands and CI running the README's test command."""

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text()
    blocks = re.findall(r"```(?:bash|sh)\n(.*?)```", text, flags=re.S)
    return [line.strip() for block in blocks for line in block.splitlines() if line.strip()]


def test_readme_has_exactly_two_setup_commands():
    commands = _readme_commands()
    assert commands == ["bash scripts/app.sh", "bash scripts/test.sh"]
    # The first starts the app: the script it runs installs the package and runs streamlit.
    app = (ROOT / "scripts" / "app.sh").read_text()
    assert "streamlit run app.py" in app and "pip install -q -e ." in app


def test_setup_scripts_share_one_python_environment_logic():
    """Both set-up commands find or make a Python pip may install into (PEP 668) through one
    sourced script; neither repeats that logic."""
    for script in ("app.sh", "test.sh"):
        text = (ROOT / "scripts" / script).read_text()
        assert "source scripts/python_env.sh" in text
        assert "EXTERNALLY-MANAGED" not in text and "-m venv" not in text
    shared = (ROOT / "scripts" / "python_env.sh").read_text()
    assert "EXTERNALLY-MANAGED" in shared and "-m venv .venv" in shared
    for script in ("app.sh", "test.sh", "python_env.sh"):
        subprocess.run(["bash", "-n", str(ROOT / "scripts" / script)], check=True)


def test_python_env_gives_an_interpreter_that_runs_pip():
    """Sourced as the set-up scripts do, in this checkout: PY runs pip (here the interpreter on
    PATH, or the .venv where that one is externally managed)."""
    out = subprocess.run(
        ["bash", "-c", "set -euo pipefail; source scripts/python_env.sh; "
         "\"$PY\" -m pip --version >/dev/null && echo \"$PY\""],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert Path(out.stdout.strip()).exists()


def test_ci_runs_the_readme_test_command_verbatim():
    test_command = next(c for c in _readme_commands() if "scripts/test.sh" in c)
    ci = (ROOT / ".ci" / "run").read_text()
    assert test_command in ci.splitlines()


def test_console_script_prints_version():
    out = subprocess.run(
        [sys.executable, "-m", "cli.main", "--version"], capture_output=True, text=True
    )
    assert out.returncode == 0
    assert re.fullmatch(r"hashpivot \d+\.\d+\.\d+\n", out.stdout)


def test_readme_python_api_example_runs():
    """The README's API lines are a working program, not a sketch."""
    text = (ROOT / "README.md").read_text()
    (block,) = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    namespace: dict[str, object] = {}
    exec(compile(block, "README.md", "exec"), namespace)
    decision = namespace["decision"]
    assert decision.best_strategy in decision.strategies


def test_every_benchmark_starts_as_its_docstring_says():
    """Each benchmark names its own command (``python3 benchmarks/NAME.py``: Debian has no
    ``python`` alias) and starts that way from the repository root, without PYTHONPATH: its
    ``--help`` exits 0, so its imports resolve in the set-up's Python."""
    scripts = sorted((ROOT / "benchmarks").glob("bench_*.py"))
    assert len(scripts) >= 10
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    procs = {}
    for path in scripts:
        rel = f"benchmarks/{path.name}"
        doc = path.read_text().split('"""')[1]
        assert f"``python3 {rel}" in doc, f"{rel}: its docstring's Run line names another command"
        procs[rel] = subprocess.Popen(
            [sys.executable, rel, "--help"], cwd=ROOT, env=env,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
    for rel, proc in procs.items():
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, f"{rel} --help failed: {err[-500:]}"
        assert "usage:" in out
