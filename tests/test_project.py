"""The project's own promises: the README's two commands and CI running the README's test command."""

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
    setup = _readme_commands()[:2]
    assert any("streamlit run app.py" in c for c in setup)
    assert any("scripts/test.sh" in c for c in setup)


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
