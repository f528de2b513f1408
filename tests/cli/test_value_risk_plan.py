"""``hashpivot value --risk-paths N --plan``: the pack carries the Monte Carlo run and the plan as
their own sheets and memo pages, with the numbers ``hashpivot risk`` and ``hashpivot plan`` print
for the same sites, scenario and seed; ``--json`` carries the same payloads; every new option is
bound, and a bad value (or one without the option it belongs to) exits 2 naming it."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import openpyxl
import pytest
from cli_helpers import run_cli, sites_folder
from pypdf import PdfReader

from reports.sections import PLAN_FUNDING_TITLE, PLAN_TIMELINE_TITLE
from sites import load_example_portfolio
from valuation.regions import price_series_from_stored

IDS = ("corz-muskogee", "corz-marble")  # two small sites: the portfolio run on the same paths
NAMES = {s.id: s.name for s in load_example_portfolio() if s.id in IDS}  # as the pack says
HEADER_ROW = 4  # a section sheet: title, note, blank, header (reports.excel._write_section)


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    by_id = {s.id: s for s in load_example_portfolio()}
    return sites_folder(tmp_path, monkeypatch, [by_id[i] for i in IDS])


def _json(capsys, *argv: str) -> dict:  # noqa: ANN001
    code, out, err = run_cli(capsys, *argv)
    assert code == 0, err
    data = json.loads(out)
    data.pop("ok")
    return data


def _sheet_rows(wb: openpyxl.Workbook, title_start: str) -> tuple[str, list[dict]]:
    """The rows of the section sheet whose A1 title starts with ``title_start``, as dicts."""
    (ws,) = [ws for ws in wb.worksheets if str(ws["A1"].value or "").startswith(title_start)]
    header = [c.value for c in ws[HEADER_ROW] if c.value is not None]
    rows = []
    for values in ws.iter_rows(min_row=HEADER_ROW + 1, values_only=True):
        if all(v is None for v in values):
            break
        rows.append(dict(zip(header, values, strict=False)))
    return str(ws["A1"].value), rows


def test_pack_carries_the_risk_and_plan_of_the_same_commands(env, capsys) -> None:  # noqa: ANN001
    risk = _json(capsys, "risk", "sites.csv", "--paths", "64", "--seed", "5", "--json")
    plan = _json(capsys, "plan", "sites.csv", "--budget-per-year", "500M", "--json")
    data = _json(capsys, "value", "sites.csv", "--risk-paths", "64", "--seed", "5", "--plan",
                 "--budget-per-year", "500M", "--out", "pack.xlsx", "--out", "pack.pdf",
                 "--json")  # fmt: skip
    # --json: the very payloads the two commands print.
    assert data["risk"] == risk
    assert data["plan"] == plan
    assert data["written"] == ["pack.xlsx", "pack.pdf"]
    assert len(risk["sites"]) == len(IDS) + 1  # each site and the portfolio

    wb = openpyxl.load_workbook(env / "pack.xlsx")
    title, rows = _sheet_rows(wb, "Risk:")
    assert title == f"Risk: portfolio of {len(IDS)} sites"
    assert [r["site_id"] for r in rows] == [r["site_id"] for r in risk["sites"]]
    for got, want in zip(rows, risk["sites"], strict=True):
        assert got["n_paths"] == 64 and got["seed"] == 5 and got["scenario"] == "Risk: base"
        for key, value in want.items():
            if key != "site_id":
                assert got[key] == pytest.approx(value, rel=1e-12), key
    _, timeline = _sheet_rows(wb, PLAN_TIMELINE_TITLE)
    assert len(timeline) == len(plan["timeline"]) > 0
    for got, want in zip(timeline, plan["timeline"], strict=True):
        assert got["site_id"] == want["site_id"]
        assert got["calendar_year"] == want["calendar_year"]
        assert got["value_usd"] == pytest.approx(want["value_usd"], rel=1e-12)
        assert got["equity_usd"] == pytest.approx(want["equity_usd"], rel=1e-12)
    _, funding = _sheet_rows(wb, PLAN_FUNDING_TITLE)
    assert [r["equity_usd"] for r in funding] == pytest.approx(
        [r["equity_usd"] for r in plan["funding"]], rel=1e-12
    )
    # The memo has a page for each section.
    text = " ".join(p.extract_text() for p in PdfReader(env / "pack.pdf").pages)
    for heading in (f"Risk: portfolio of {len(IDS)} sites", PLAN_TIMELINE_TITLE,
                    PLAN_FUNDING_TITLE):  # fmt: skip
        assert heading in " ".join(text.split()), heading


def test_one_site_is_the_site_run(env, capsys) -> None:  # noqa: ANN001
    site = IDS[0]
    risk = _json(capsys, "risk", "sites.csv", "--site", site, "--paths", "32", "--seed", "2",
                 "--scenario", "bear", "--json")  # fmt: skip
    code, out, err = run_cli(capsys, "value", "sites.csv", "--site", site, "--risk-paths", "32",
                          "--seed", "2", "--scenario", "bear", "--out", "one.xlsx")  # fmt: skip
    assert code == 0, err
    assert f"Risk ({site}, 32 paths, seed 2)" in out
    wb = openpyxl.load_workbook(io.BytesIO((env / "one.xlsx").read_bytes()))
    title, rows = _sheet_rows(wb, "Risk:")
    assert title == f"Risk: {NAMES[site]}"  # the workbook names the site
    assert {r["strategy"] for r in rows} == set(risk["strategies"])
    for row in rows:
        want = risk["strategies"][row["strategy"]]
        assert row["mean_usd"] == pytest.approx(want["mean_usd"], rel=1e-12)
        assert row["p10_usd"] == pytest.approx(want["p10_usd"], rel=1e-12)
        assert row["p_converting_wins"] == pytest.approx(risk["p_converting_wins"], rel=1e-12)
    assert not any(str(ws["A1"].value).startswith("Portfolio plan") for ws in wb.worksheets)


def test_the_option_to_wait_joins_the_pack(env, capsys) -> None:  # noqa: ANN001
    from valuation.formatting import usd

    site = IDS[0]
    risk = _json(capsys, "risk", "sites.csv", "--site", site, "--paths", "48", "--seed", "3",
                 "--wait", "--json")  # fmt: skip
    data = _json(capsys, "value", "sites.csv", "--site", site, "--risk-paths", "48", "--seed",
                 "3", "--wait", "--out", "wait.xlsx", "--json")  # fmt: skip
    assert data["option_to_wait"] == risk["option_to_wait"]
    wb = openpyxl.load_workbook(env / "wait.xlsx")
    title, rows = _sheet_rows(wb, "Option to wait:")
    assert title == f"Option to wait: {NAMES[site]}"  # the workbook names the site
    by_figure = {r["figure"]: r for r in rows}
    want = risk["option_to_wait"]
    assert by_figure["Value of waiting"]["value_usd"] == pytest.approx(
        want["option_to_wait_usd"], abs=0.005
    )
    assert by_figure["Converting now, mean NPV"]["value_usd"] == pytest.approx(
        want["convert_now_usd"], abs=0.005
    )
    # in words too, with the same figures
    code, out, err = run_cli(capsys, "value", "sites.csv", "--site", site, "--risk-paths", "48",
                             "--seed", "3", "--wait")  # fmt: skip
    assert code == 0, err
    assert f"Value of waiting {usd(want['option_to_wait_usd'])}" in out
    assert f"The decision: {want['decision']}. " in out
    # --wait needs the Monte Carlo's paths and one site, said before anything runs, with the
    # command's other input problems
    code, _, err = run_cli(capsys, "value", "sites.csv", "--wait")
    assert code == 2 and "--wait: allowed only with --risk-paths N" in err
    code, _, err = run_cli(capsys, "value", "sites.csv", "--risk-paths", "48", "--wait",
                           "--scenario", "nope")  # fmt: skip
    assert code == 1 and "--wait: give one site (--site ID); 2 given" in err
    assert "--scenario 'nope'" in err


def test_without_the_options_the_pack_has_no_risk_or_plan(env, capsys) -> None:  # noqa: ANN001
    data = _json(capsys, "value", "sites.csv", "--out", "plain.xlsx", "--json")
    assert "risk" not in data and "plan" not in data
    wb = openpyxl.load_workbook(env / "plain.xlsx")
    assert not any(str(ws["A1"].value or "").startswith(("Risk", "Portfolio plan"))
                   for ws in wb.worksheets)  # fmt: skip


def test_progress_lines_name_each_stage(env, capsys) -> None:  # noqa: ANN001
    code, out, err = run_cli(capsys, "value", "sites.csv", "--risk-paths", "16", "--plan",
                          "--progress", "--json")  # fmt: skip
    assert code == 0, err
    assert f"Simulating {len(IDS)} sites on the same 16 paths" in err
    assert "Valuing starts" in err and "Solving the plan" in err
    json.loads(out)  # the lines stay on stderr


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["--risk-paths", "0"], "--risk-paths '0': allowed a whole number from 1 to 1,000,000"),
        (["--risk-paths", "1000001"], "--risk-paths '1000001'"),
        (["--risk-paths", "many"], "--risk-paths 'many'"),
        (["--risk-paths", "8", "--seed", "-1"], "--seed '-1': allowed a whole number from 0"),
        (["--risk-paths", "8", "--seed", "1.5"], "--seed '1.5'"),
        (["--plan", "--loan-to-cost", "1.5"], "--loan-to-cost '1.5': allowed a share in [0, 1)"),
        (["--plan", "--budget-per-year", "-5"], "--budget-per-year '-5'"),
        (["--plan", "--mw-cap-per-year", "2e6"], "--mw-cap-per-year '2e6'"),
    ],
)
def test_bad_values_exit_1_naming_the_option(env, capsys, argv, needle) -> None:  # noqa: ANN001
    # A value out of its option's bounds is invalid input (exit 1), as in hashpivot risk.
    code, out, err = run_cli(capsys, "value", "sites.csv", *argv, "--out", "never.xlsx")
    assert code == 1
    assert needle in err and not out
    assert not (env / "never.xlsx").exists()


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["--seed", "4"], "--seed 4: allowed only with --risk-paths"),
        (["--seed", "-4"], "--seed -4: allowed only with --risk-paths"),
        (["--budget-total", "3B"], "--budget-total 3,000,000,000: allowed only with --plan"),
        (["--budget-total", "lots"], "--budget-total lots: allowed only with --plan"),
        (["--loan-to-cost", "0.5"], "--loan-to-cost 0.5: allowed only with --plan"),
    ],
)
def test_an_option_without_its_mode_is_a_usage_error(env, capsys, argv, needle) -> None:  # noqa: ANN001
    code, out, err = run_cli(capsys, "value", "sites.csv", *argv, "--out", "never.xlsx")
    assert code == 2
    assert needle in err and not out
    assert not (env / "never.xlsx").exists()


def test_every_bad_value_is_listed_at_once(env, capsys) -> None:  # noqa: ANN001
    # argparse stopped at the first bad value; value, plan and risk now list them all.
    code, _, err = run_cli(capsys, "value", "sites.csv", "--risk-paths", "0", "--seed", "x",
                           "--plan", "--loan-to-cost", "2", "--out", "pack.docx")  # fmt: skip
    assert code == 1
    for named in ("--risk-paths '0'", "--seed 'x'", "--loan-to-cost '2'", "--out 'pack.docx'"):
        assert named in err, named
    code, _, err = run_cli(capsys, "plan", "sites.csv", "--budget-total", "-1",
                           "--mw-cap-per-year", "many", "--scenario", "nosuch")  # fmt: skip
    assert code == 1
    for named in ("--budget-total '-1'", "--mw-cap-per-year 'many'", "'nosuch'"):
        assert named in err, named
    code, _, err = run_cli(capsys, "risk", "sites.csv", "--paths", "1.5", "--seed", "-2")
    assert code == 1 and "--paths '1.5'" in err and "--seed '-2'" in err
    # --wait's own rule is still listed beside a paths value out of bounds (two sites given)
    code, _, err = run_cli(capsys, "value", "sites.csv", "--risk-paths", "0", "--wait")
    assert code == 1 and "--risk-paths '0'" in err and "--wait: give one site" in err


def test_risk_paths_bound_is_the_risk_modules() -> None:
    from cli.risk import MAX_PATHS as CLI_MAX
    from valuation.risk import MAX_PATHS

    assert CLI_MAX == MAX_PATHS


def test_the_store_s_price_histories_are_used_as_the_app_uses_them(env, capsys) -> None:  # noqa: ANN001
    # value --store and plan --store valued each site without the price history stored beside
    # it; the app's site page used it.
    import pandas as pd

    from sites.store import SiteStore
    from valuation.decision import compare
    from valuation.power import PriceSeries

    store = SiteStore()
    site = next(s for s in store.list() if s.id == "riot-rockdale")  # an index-priced contract
    hours = pd.date_range("2024-01-01", "2024-04-01", freq="h", inclusive="left")
    store.save_price_history(site.id, PriceSeries(hours, np.full(hours.size, 120.0), 1.0,
                                                  hub="flat", source="dear.csv"))  # fmt: skip
    history = price_series_from_stored(store.price_history(site.id))
    want = compare(site, price_history=history).value_of_converting_usd
    assert want != pytest.approx(compare(site).value_of_converting_usd)
    code, out, err = run_cli(capsys, "value", "--store", "--site", site.id, "--json")
    assert code == 0, err
    assert json.loads(out)["sites"][0]["value_of_converting_usd"] == pytest.approx(want, abs=0.01)
    code, out, err = run_cli(capsys, "plan", "--store", "--site", site.id, "--json")
    assert code == 0, err
    from valuation.conversion_plan import plan_portfolio, start_table

    expected = plan_portfolio(start_table([site], price_histories={site.id: history}))
    assert json.loads(out)["value_usd"] == pytest.approx(expected.value_usd, abs=0.01)


def test_risk_store_runs_on_the_stored_price_history(env, capsys) -> None:  # noqa: ANN001
    import pandas as pd

    from sites.store import SiteStore
    from valuation.decision import compare
    from valuation.power import PriceSeries

    store = SiteStore()
    site = next(s for s in store.list() if s.id == "riot-rockdale")
    hours = pd.date_range("2024-01-01", "2024-04-01", freq="h", inclusive="left")
    store.save_price_history(site.id, PriceSeries(hours, np.full(hours.size, 120.0), 1.0,
                                                  hub="flat", source="dear.csv"))  # fmt: skip
    history = price_series_from_stored(store.price_history(site.id))
    want = compare(site, price_history=history).strategy_npv_usd["keep_mining"]
    code, out, err = run_cli(capsys, "risk", "--store", "--site", site.id, "--paths", "16",
                             "--json")  # fmt: skip
    assert code == 0, err
    got = json.loads(out)["deterministic_npv_usd"]["keep_mining"]
    assert got == pytest.approx(want, rel=1e-9)
