"""The ``hashpivot`` command line, run in-process on a small part of the example portfolio: it
writes both board-pack files with the valuation's numbers, lists every problem of a bad file with
its row, keeps the exit codes (0 ok, 1 invalid input, 2 usage), and ``--json`` parses."""

from __future__ import annotations

import dataclasses
import io
import json
import math
from pathlib import Path

import openpyxl
import pytest
from cli_helpers import run_cli, sites_folder
from pypdf import PdfReader

from reports.excel import SUMMARY_HEADER_ROW
from sites import load_example_portfolio
from sites.io import write_sites
from sites.store import SiteStore
from valuation.decision import compare
from valuation.saved_scenario import scenario_from_saved
from valuation.scenario import Scenario

N_SITES = 3


@pytest.fixture(scope="module")
def three_sites():
    return load_example_portfolio()[:N_SITES]


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, three_sites) -> Path:
    return sites_folder(tmp_path, monkeypatch, three_sites)


def test_value_writes_the_workbook_and_the_memo(env, capsys, three_sites):
    code, out, err = run_cli(
        capsys, "value", "sites.csv", "--out", "pack.xlsx", "--out", "pack.pdf"
    )
    assert code == 0, err
    assert "Wrote pack.xlsx" in out and "Wrote pack.pdf" in out
    wb = openpyxl.load_workbook(env / "pack.xlsx")
    ws = wb["Summary"]
    header = [c.value for c in ws[SUMMARY_HEADER_ROW]]
    col = header.index(
        "Value of converting (USD, best converting NPV minus best NPV not converting)"
    )
    got = {r[0]: r[col] for r in ws.iter_rows(min_row=SUMMARY_HEADER_ROW + 1,
                                              max_row=SUMMARY_HEADER_ROW + N_SITES,
                                              values_only=True)}  # fmt: skip
    for site in three_sites:
        assert round(got[site.id], 2) == round(compare(site).value_of_converting_usd, 2)
    pages = [p.extract_text() for p in PdfReader(env / "pack.pdf").pages]
    assert "Board memo" in pages[0]
    for page, site in zip(pages[1 : 1 + N_SITES], three_sites, strict=True):
        assert site.name in page
    assert pages[-1].lstrip().startswith("Assumptions")


def test_json_output_parses_and_matches_the_valuation(env, capsys, three_sites):
    code, out, _ = run_cli(capsys, "value", "sites.csv", "--site", three_sites[1].id, "--json")
    assert code == 0
    data = json.loads(out)
    assert data["ok"] is True and data["scenario"]["name"] == "base"
    (site,) = data["sites"]
    decision = compare(three_sites[1])
    assert site["site_id"] == three_sites[1].id
    assert site["best_strategy"] == decision.best_strategy
    for key, result in decision.strategies.items():
        assert site["strategies"][key]["npv_usd"] == pytest.approx(
            result.summary.npv_usd, abs=0.005
        )
    be = site["breakevens"]["lease_rate_usd_per_kw_month"]
    assert be is None or math.isclose(be, decision.breakevens.lease_rate_usd_per_kw_month)


def test_a_bad_file_exits_1_naming_every_row_and_field(env, capsys, three_sites):
    bad = [
        dataclasses.replace(three_sites[0]),
        dataclasses.replace(three_sites[1], latitude=123.0),
        dataclasses.replace(three_sites[2], power=dataclasses.replace(
            three_sites[2].power, interruptible_share=1.5)),
    ]  # fmt: skip
    write_sites(bad, env / "bad.csv")
    code, out, err = run_cli(capsys, "value", "bad.csv", "--out", "pack.xlsx")
    assert code == 1
    assert "2 problems" in err
    assert "row 3, latitude = 123.0" in err
    assert "row 4, interruptible_share = 1.5" in err
    assert not (env / "pack.xlsx").exists()
    code, out, err = run_cli(capsys, "value", "bad.csv", "--json")
    assert code == 1
    data = json.loads(out)
    assert data["ok"] is False and data["exit_code"] == 1 and len(data["problems"]) == 2


@pytest.mark.parametrize(
    "argv",
    [
        [],  # no command
        ["value"],  # neither SITES nor --store
        ["value", "sites.csv", "--store", "sqlite://"],  # both
        ["value", "sites.csv", "--no-such-option"],
        ["scenarios"],
        ["frobnicate"],
    ],
)
def test_usage_errors_exit_2(env, capsys, argv):
    code, out, err = run_cli(capsys, *argv)
    assert code == 2
    assert err and not out


def test_input_errors_exit_1_and_say_what(env, capsys, three_sites):
    code, _, err = run_cli(capsys, "value", "missing.csv")
    assert code == 1 and "missing.csv" in err
    code, _, err = run_cli(capsys, "value", "sites.csv", "--site", "nope", "--site", "nada")
    assert code == 1 and "'nope'" in err and "'nada'" in err
    code, _, err = run_cli(capsys, "value", "sites.csv", "--scenario", "not saved")
    assert code == 1 and "no scenario of that name" in err
    (env / "bad.json").write_text(json.dumps({"lease_rate_usd_per_kw_month": -1}))
    code, _, err = run_cli(capsys, "value", "sites.csv", "--scenario", "bad.json")
    assert code == 1 and "lease_rate_usd_per_kw_month" in err
    (env / "broken.json").write_text("{not json")
    code, _, err = run_cli(capsys, "value", "sites.csv", "--scenario", "broken.json")
    assert code == 1 and "not JSON" in err


def test_scenarios_saved_from_the_command_line_value_the_sites(env, capsys, three_sites):
    code, out, err = run_cli(capsys, "scenarios", "save", "Lease 110", "--set",
                          "lease_rate_usd_per_kw_month=110", "--set", "market.btc_price_usd=90000")  # fmt: skip
    assert code == 0, err
    code, out, _ = run_cli(capsys, "scenarios", "list", "--json")
    assert json.loads(out)["scenarios"] == ["Lease 110"]
    code, out, _ = run_cli(capsys, "scenarios", "show", "Lease 110", "--json")
    shown = json.loads(out)
    assert shown["changes"] == {"lease_rate_usd_per_kw_month": 110,
                                "market": {"btc_price_usd": 90000}}  # fmt: skip
    scenario = scenario_from_saved(SiteStore().load_scenario("Lease 110"))
    assert scenario.lease_rate_usd_per_kw_month == 110.0
    assert scenario.market.btc_price_usd == 90000.0
    site = three_sites[0]
    code, out, _ = run_cli(capsys, "value", "--store", "--site", site.id, "--scenario", "Lease 110",
                        "--json")  # fmt: skip
    assert code == 0
    (got,) = json.loads(out)["sites"]
    want = compare(site, scenario).value_of_converting_usd
    assert got["value_of_converting_usd"] == pytest.approx(want, abs=0.005)
    assert want != pytest.approx(compare(site).value_of_converting_usd)
    code, _, err = run_cli(capsys, "scenarios", "save", "x", "--set", "market.speed=3")
    assert code == 1 and "market.speed" in err


def test_a_scenario_file_is_read(env, capsys, three_sites):
    path = env / "lease.json"
    path.write_text(json.dumps({"lease_rate_usd_per_kw_month": 95.0}))
    code, out, _ = run_cli(capsys, "value", "sites.csv", "--site", three_sites[0].id,
                        "--scenario", str(path), "--json")  # fmt: skip
    assert code == 0
    data = json.loads(out)
    assert data["scenario"]["name"] == "lease"
    want = compare(three_sites[0], Scenario(lease_rate_usd_per_kw_month=95.0))
    assert data["sites"][0]["value_of_converting_usd"] == pytest.approx(
        want.value_of_converting_usd, abs=0.005
    )


def test_sites_import_export_and_list(env, capsys, three_sites):
    url = f"sqlite:///{env / 'other.sqlite'}"
    code, out, err = run_cli(capsys, "sites", "import", "sites.csv", "--store", url, "--json")
    assert code == 0, err
    assert sorted(json.loads(out)["created"]) == sorted(s.id for s in three_sites)
    code, out, _ = run_cli(capsys, "sites", "list", "--store", url, "--json")
    assert [s["id"] for s in json.loads(out)["sites"]] == sorted(s.id for s in three_sites)
    code, out, _ = run_cli(capsys, "sites", "export", "back.xlsx", "--store", url)
    assert code == 0 and (env / "back.xlsx").exists()
    bad = dataclasses.replace(three_sites[0], id="new-site", latitude=200.0)
    write_sites([bad], env / "bad.csv")
    code, _, err = run_cli(capsys, "sites", "import", "bad.csv", "--store", url)
    assert code == 1 and "row 2, latitude = 200.0" in err
    assert len(SiteStore(url).list()) == N_SITES  # nothing written


def test_progress_bar_on_stderr_only_when_asked_or_on_a_terminal(env, capsys, three_sites):
    code, out, err = run_cli(capsys, "value", "sites.csv", "--progress", "--json")
    assert code == 0 and f"{N_SITES}/{N_SITES}" in err
    json.loads(out)  # the bar never mixes into stdout
    code, out, err = run_cli(capsys, "value", "sites.csv")
    assert code == 0 and "/3" not in err  # captured stderr is not a terminal


def test_terminal_output_neutralises_control_characters(env, capsys, three_sites):
    evil = dataclasses.replace(three_sites[0], name="Evil\x1b[2J\x07 site")
    write_sites([evil], env / "evil.csv")
    code, out, err = run_cli(capsys, "value", "evil.csv")
    # The inventory's rules refuse control characters in a name; the message quoting the value
    # must not replay them on the terminal either.
    assert code == 1 and "row 2, name" in err
    assert "\x1b" not in err + out and "\x07" not in err + out
    from cli.common import safe

    assert safe("Evil\x1b[2J\x07 site\tok") == "Evil?[2J? site\tok"


def test_progress_helper_draws_in_place():
    from cli.common import Progress

    stream = io.StringIO()
    bar = Progress("Valuing", enabled=True, stream=stream)
    for i in range(1, 5):
        bar(i, 4, "site")
    assert stream.getvalue().count("\r") == 4 and stream.getvalue().endswith("\n")
    assert "4/4" in stream.getvalue()
