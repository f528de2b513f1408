"""``hashpivot plan`` on three sites of the example portfolio: the JSON is the library's plan,
the text shows the timeline, funding and the shadow sentence, and bad inputs name the option."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cli_helpers import run_cli, sites_folder

from cli.main import COMMANDS
from sites import load_example_portfolio
from valuation.conversion_plan import plan_portfolio, start_table


@pytest.fixture(scope="module")
def three_sites():
    by_id = {s.id: s for s in load_example_portfolio()}
    return [by_id[i] for i in ("corz-muskogee", "mara-granbury", "hut-river-bend")]


@pytest.fixture(scope="module")
def table(three_sites):
    return start_table(three_sites)


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, three_sites) -> Path:
    return sites_folder(tmp_path, monkeypatch, three_sites)


def test_plan_is_a_registered_command() -> None:
    assert any(c.__name__ == "cli.plan" for c in COMMANDS)


def test_json_is_the_librarys_plan(env, capsys, table) -> None:
    code, out, err = run_cli(capsys, "plan", "sites.csv", "--budget-per-year", "300M",
                          "--mw-cap-per-year", "200", "--json")  # fmt: skip
    assert code == 0, err
    data = json.loads(out)
    expected = plan_portfolio(table, equity_budget_usd_per_year=300e6, mw_cap_per_year=200.0,
                              first_year=2025)  # fmt: skip
    assert data["ok"] is True and data["inputs"]["budget_per_year_usd"] == 300e6
    assert data["value_usd"] == pytest.approx(expected.value_usd, rel=1e-12)
    got = [(r["site_id"], r["start_year"]) for r in data["timeline"]]
    assert got == list(zip(expected.timeline["site_id"], expected.timeline["start_year"],
                           strict=True))  # fmt: skip
    assert sum(r["critical_it_mw"] for r in data["timeline"] if r["start_year"] == 0) <= 200
    assert max(f["equity_usd"] for f in data["funding"]) <= 300e6 + 1.0
    assert data["shadow_value_usd"] == pytest.approx(expected.plan.shadow_value_usd, abs=1.0)
    assert data["shadow_sentence"] == expected.shadow_sentence


def test_text_shows_timeline_funding_and_shadow_price(env, capsys, table) -> None:
    code, out, _ = run_cli(capsys, "plan", "sites.csv", "--budget-total", "0.2B")
    assert code == 0
    expected = plan_portfolio(table, equity_budget_usd_total=200e6, first_year=2025)
    assert f"{len(expected.timeline)} of 3 sites convert" in out
    for name in expected.timeline["name"]:
        assert name in out
    assert "Funding by year (capex / equity):" in out
    assert expected.shadow_sentence in out and "in total" in expected.shadow_sentence


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["--budget-per-year", "lots"], "--budget-per-year 'lots': allowed a number of USD"),
        (["--budget-total", "-5"], "--budget-total '-5': allowed"),
        (["--mw-cap-per-year", "1e9"], "--mw-cap-per-year '1e9': allowed a number of MW"),
        (["--loan-to-cost", "1.2"], "--loan-to-cost '1.2': allowed a share in [0, 1)"),
    ],
)
def test_bad_amounts_are_input_errors_naming_the_option(env, capsys, argv, needle) -> None:
    code, out, err = run_cli(capsys, "plan", "sites.csv", *argv)
    assert code == 1 and out == ""
    assert needle in err


def test_unknown_site_is_invalid_input(env, capsys) -> None:
    code, _, err = run_cli(capsys, "plan", "sites.csv", "--site", "nowhere\x1b[31m")
    assert code == 1
    assert "--site 'nowhere?[31m': no site with this id" in err
