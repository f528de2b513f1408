"""What the command-line tests share: a working folder with a store and a sites file, and one
call of ``hashpivot`` with its exit code and output."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from cli.main import main
from sites.io import write_sites
from sites.schema import Site


def sites_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sites: Sequence[Site]) -> Path:
    """``tmp_path`` as the working folder with its own store (``HASHPIVOT_DB_URL``) and the
    ``sites`` in ``sites.csv``."""
    monkeypatch.setenv("HASHPIVOT_DB_URL", f"sqlite:///{tmp_path / 'store.sqlite'}")
    monkeypatch.chdir(tmp_path)
    write_sites(list(sites), tmp_path / "sites.csv")
    return tmp_path


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """``hashpivot ARGV``: the exit code, standard output and standard error."""
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err
