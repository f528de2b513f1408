"""``hashpivot`` on hostile input: credentials never shown, bad values and files named with exit
code 1 (never an internal error), nothing written unless every target is writable, and output
into a closed pipe ends quietly."""

from __future__ import annotations

from pathlib import Path

import pytest
from cli_helpers import run_cli, sites_folder

from sites import load_example_portfolio

SITES = [s for s in load_example_portfolio() if s.id in ("corz-muskogee", "corz-marble")]


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return sites_folder(tmp_path, monkeypatch, SITES)


def test_a_scheduler_password_is_masked(env, capsys) -> None:  # noqa: ANN001
    pytest.importorskip("distributed")
    code, out, err = run_cli(capsys, "risk", "sites.csv", "--site", "corz-muskogee", "--paths",
                             "256", "--scheduler", "tcp://u:secret@127.0.0.1:1")  # fmt: skip
    assert code == 1, err
    assert "secret" not in out + err
    assert "--scheduler 'tcp://u:***@127.0.0.1:1'" in err


def test_a_huge_number_is_named_not_an_internal_error(env, capsys) -> None:  # noqa: ANN001
    code, _, err = run_cli(capsys, "scenarios", "save", "X", "--set", "lease_term_years=1e308")
    assert code == 1, err
    assert "lease_term_years" in err and "(0, 100]" in err
    assert "internal error" not in err


def test_json_nested_too_deeply_is_named(env, capsys) -> None:  # noqa: ANN001
    deep = env / "deep.json"
    deep.write_text("[" * 200_000 + "]" * 200_000, encoding="utf-8")
    code, _, err = run_cli(capsys, "scenarios", "show", str(deep))
    assert code == 1, err
    assert "deep.json" in err and "nested too deeply" in err
    code, _, err = run_cli(capsys, "scenarios", "save", "X", "--set",
                           "lease_term_years=" + "[" * 50_000 + "]" * 50_000)  # fmt: skip
    assert code == 1, err
    assert "--set 'lease_term_years'" in err and "nested too deeply" in err


@pytest.mark.parametrize("folder", ["adir", "adir.xlsx"])
def test_every_out_is_checked_before_any_is_written(env, capsys, folder) -> None:  # noqa: ANN001
    (env / folder).mkdir()
    code, _, err = run_cli(capsys, "value", "sites.csv", "--site", "corz-muskogee", "--out",
                           "ok1.pdf", "--out", folder)  # fmt: skip
    assert code == 1, err
    assert f"--out '{folder}': is a folder" in err
    assert not (env / "ok1.pdf").exists()


def test_reserved_names_are_the_presets() -> None:
    from sites.store import RESERVED_SCENARIO_NAMES
    from valuation.drivers import PRESETS

    assert set(RESERVED_SCENARIO_NAMES) == set(PRESETS)


@pytest.mark.parametrize(
    ("name", "why"),
    [("Bear", "built-in preset"), ("base", "built-in preset"), ("Bull", "built-in preset"),
     ("x.json", "ends in .json"), ("\x1b[31mred", "control character")],
)  # fmt: skip
def test_scenarios_save_refuses_misleading_names(env, capsys, name, why) -> None:  # noqa: ANN001
    code, out, err = run_cli(capsys, "scenarios", "save", name)
    assert code == 1, err
    assert why in err and "allowed:" in err
    assert "\x1b" not in out + err
    code, out, _ = run_cli(capsys, "scenarios", "list", "--json")
    assert '"scenarios": []' in out


def test_a_closed_output_pipe_ends_quietly(env) -> None:  # noqa: ANN001
    import os
    import subprocess
    import sys

    from cli.main import CLOSED_PIPE

    root = Path(__file__).resolve().parents[2]
    run_env = {**os.environ, "PYTHONPATH": str(root)}
    subprocess.run([sys.executable, "-m", "cli.main", "sites", "import", "sites.csv"],
                   env=run_env, cwd=env, check=True, capture_output=True)  # fmt: skip
    proc = subprocess.Popen([sys.executable, "-m", "cli.main", "sites", "list"], env=run_env,
                            cwd=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)  # fmt: skip
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # the reader goes away before the command writes
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=120) == CLOSED_PIPE, err
    assert err == ""


def test_a_scenario_file_with_a_byte_order_mark_is_read(env, capsys) -> None:  # noqa: ANN001
    (env / "bom.json").write_text('{"lease_rate_usd_per_kw_month": 140.0}', encoding="utf-8-sig")
    assert (env / "bom.json").read_bytes().startswith(b"\xef\xbb\xbf")
    code, out, err = run_cli(capsys, "scenarios", "show", "bom.json", "--json")
    assert code == 0, err
    assert '"lease_rate_usd_per_kw_month": 140.0' in out


def test_a_store_url_with_a_bad_port_is_named_and_masked(env, capsys) -> None:  # noqa: ANN001
    url = "postgresql://u:secret@host:notaport/db"
    code, out, err = run_cli(capsys, "sites", "list", "--store", url)
    assert code == 1, err
    assert "--store 'postgresql://u:***@host:notaport/db'" in err
    assert "port must be a number" in err
    assert "secret" not in out + err


def test_a_bad_store_url_is_a_store_error_without_the_password() -> None:
    from sites.store import SiteStore, StoreError

    with pytest.raises(StoreError, match="port must be a number") as info:
        SiteStore("postgresql://u:secret@host:notaport/db")
    assert "secret" not in str(info.value)


def test_a_closed_pipe_while_an_error_is_printed_ends_quietly_too(env) -> None:  # noqa: ANN001
    # --json prints the problems on standard output: a reader gone then gave a traceback.
    import os
    import subprocess
    import sys

    from cli.main import CLOSED_PIPE

    root = Path(__file__).resolve().parents[2]
    proc = subprocess.Popen(
        [sys.executable, "-m", "cli.main", "sites", "list", "--json", "--store",
         "postgresql://u:secret@h:bad/db"],
        env={**os.environ, "PYTHONPATH": str(root)}, cwd=env,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=120) == CLOSED_PIPE, err
    assert "Traceback" not in err and "secret" not in err


def test_an_input_message_masks_a_password(env, capsys) -> None:  # noqa: ANN001
    code, out, err = run_cli(capsys, "value", "sites.csv", "--out", "u:secretpw@x.txt")
    assert code == 1 and "secretpw" not in out + err and "u:***@x.txt" in err
    code, out, err = run_cli(
        capsys, "value", "sites.csv", "--bogus", "postgresql://u:secretpw@db/x"
    )
    assert code == 2 and "secretpw" not in out + err  # argparse's own usage message


def test_the_valuations_own_error_on_a_cluster_is_not_blamed_on_the_scheduler() -> None:
    from cli.common import CliInputError
    from cli.risk import on_scheduler
    from valuation.errors import ValuationError

    def fails() -> None:
        raise ValuationError("a site the valuation refuses")

    with pytest.raises(ValuationError, match="refuses"):
        on_scheduler("tcp://u:pw@127.0.0.1:1", fails)
    with pytest.raises(CliInputError, match="--scheduler"):
        on_scheduler("tcp://u:pw@127.0.0.1:1", lambda: (_ for _ in ()).throw(OSError("refused")))


def test_value_json_keeps_todays_hashprice_out_of_the_break_evens(env, capsys) -> None:  # noqa: ANN001
    import json

    code, out, err = run_cli(capsys, "value", "sites.csv", "--site", "corz-muskogee", "--json")
    assert code == 0, err
    (site,) = json.loads(out)["sites"]
    fields = {"lease_rate_usd_per_kw_month", "hashprice_usd_per_ph_day", "btc_price_usd",
              "max_capex_usd_per_mw"}  # fmt: skip
    assert set(site["breakevens"]) == fields
    # today's value of each break-even's assumption, under the same keys
    assert set(site["today"]) == fields
    assert site["today"]["lease_rate_usd_per_kw_month"] == 128.0  # the base scenario's rate
    assert site["today"]["hashprice_usd_per_ph_day"] > 0


def test_risk_lists_every_problem_at_once(env, capsys) -> None:  # noqa: ANN001
    # "--paths 0 --seed -1" named only --paths; an unknown site hid an unknown scenario.
    code, out, err = run_cli(capsys, "risk", "sites.csv", "--site", "nope", "--paths", "0",
                             "--seed", "-1", "--scenario", "nosuch")  # fmt: skip
    assert code == 1
    assert "4 problems" in err
    for named in ("--paths '0'", "--seed '-1'", "--site 'nope'", "--scenario 'nosuch'"):
        assert named in err, named


def test_value_lists_every_problem_at_once(env, capsys, tmp_path) -> None:  # noqa: ANN001
    # A missing --out folder hid the unknown sites and the unknown scenario.
    missing = tmp_path / "no_such_folder" / "pack.pdf"
    code, out, err = run_cli(capsys, "value", "sites.csv", "--site", "nope", "--site", "nope2",
                             "--scenario", "nosuch", "--out", str(missing))  # fmt: skip
    assert code == 1 and "4 problems" in err
    for named in ("--site 'nope'", "--site 'nope2'", "--scenario 'nosuch'", "--out "):
        assert named in err, named
    assert not missing.parent.exists()


def test_plan_lists_every_problem_at_once(env, capsys) -> None:  # noqa: ANN001
    code, out, err = run_cli(capsys, "plan", "sites.csv", "--site", "nope", "--scenario", "nosuch")
    assert code == 1 and "2 problems" in err
    assert "--site 'nope'" in err and "--scenario 'nosuch'" in err


def test_reading_commands_refuse_a_missing_store_file(env, capsys, tmp_path) -> None:  # noqa: ANN001
    # A mistyped path made an empty database (and its folders) and reported "0 sites".
    url = f"sqlite:///{tmp_path / 'typo' / 'nope.db'}"
    for command in (("sites", "list"), ("scenarios", "list"), ("value", "--store", url)):
        args = (*command, "--store", url) if command[0] != "value" else command
        code, out, err = run_cli(capsys, *args)
        assert code == 1 and "no database at" in err, (command, err)
    assert not (tmp_path / "typo").exists()
    # Importing makes the store it names.
    code, out, err = run_cli(capsys, "sites", "import", "sites.csv", "--store", url)
    assert code == 0, err
    code, out, err = run_cli(capsys, "sites", "list", "--store", url)
    assert code == 0 and "corz-muskogee" in out


def test_risk_bounds_the_seed_as_value_does(env, capsys) -> None:  # noqa: ANN001
    huge = str(2**80)
    code, out, err = run_cli(capsys, "risk", "sites.csv", "--paths", "16", "--seed", huge)
    assert code == 1 and f"--seed '{huge}': allowed a whole number from 0 to" in err
