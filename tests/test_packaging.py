"""The library installs like any other package and the README's Python example runs outside the clone."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def readme_example() -> tuple[str, list[str]]:
    """The README's Python example and the output lines it says it prints (its `#> ` lines)."""
    text = (ROOT / "README.md").read_text()
    section = text[text.index("## Python"):]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    printed = [line[3:] for line in code.splitlines() if line.startswith("#> ")]
    return code, printed


@pytest.mark.slow
@pytest.mark.real_model
def test_pip_install_then_the_readme_example_runs_from_another_folder(tmp_path):
    venv = tmp_path / "v"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    # The dependencies are the ones this suite runs with (a second copy of torch would take minutes);
    # the project itself is installed from the clone, not imported from it.
    site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True, check=True).stdout.strip()
    Path(site, "deps-of-the-suite.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    built = subprocess.run([str(python), "-m", "pip", "install", "-q", "--no-deps", str(ROOT)],
                           capture_output=True, text=True)
    assert built.returncode == 0, built.stderr[-2000:]
    shutil.copytree(ROOT / "corpus", tmp_path / "work" / "articles")
    where = subprocess.run([str(python), "-c", "import rag; print(rag.__file__)"], cwd=tmp_path / "work",
                           capture_output=True, text=True, check=True).stdout.strip()
    assert where.startswith(site), f"rag was imported from {where}, not from the installed package"
    assert (venv / "bin" / "rag").exists()

    code, printed = readme_example()
    env = {"PATH": str(venv / "bin"), "HOME": str(tmp_path), "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1",
           "TOKENIZERS_PARALLELISM": "false", "ANONYMIZED_TELEMETRY": "False"}
    ran = subprocess.run([str(python), "-c", code], cwd=tmp_path / "work", env=env, capture_output=True, text=True,
                         timeout=600)
    assert ran.returncode == 0, ran.stderr[-3000:]
    assert ran.stdout.splitlines() == printed
    cli = subprocess.run([str(venv / "bin" / "rag"), "stats", "--index", "my-index"], cwd=tmp_path / "work", env=env,
                         capture_output=True, text=True)
    assert cli.returncode == 0 and '"articles"' in cli.stdout, cli.stderr
