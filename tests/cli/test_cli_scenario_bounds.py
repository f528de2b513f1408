"""Scenario inputs on the command line (``--set``, ``--from FILE``, ``scenarios show FILE``): every
number has a sane range and every text a length, the error names the field, the value and what is
allowed, a number too long for Python names the file or option, a saved form's top level is
checked as its changes are, a folder given as a FILE is said to be one, and nothing is saved when
anything is wrong."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cli_helpers import run_cli, sites_folder

from sites import load_example_portfolio

SITES = [s for s in load_example_portfolio() if s.id == "corz-muskogee"]


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return sites_folder(tmp_path, monkeypatch, SITES)


def _nothing_saved(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert not (env / "store.sqlite").exists()  # the store was never even opened to write
    code, out, err = run_cli(capsys, "scenarios", "list", "--json")
    assert code == 0, err
    assert json.loads(out)["scenarios"] == []


# Each was saved, and valuing then printed a value of converting of some 300 digits (or failed
# later without naming the field).
@pytest.mark.parametrize(
    ("setting", "named", "allowed"),
    [
        ("market.network_hashrate_eh_s=1e308", "MarketState.network_hashrate_eh_s=1e+308",
         "(0, 100000]"),
        ("market.btc_price_usd=1e308", "MarketState.btc_price_usd=1e+308", "(0, 1e+07]"),
        ("lease_rate_usd_per_kw_month=1e308", "Scenario.lease_rate_usd_per_kw_month=1e+308",
         "[0, 1000]"),
        ("capex_usd_per_critical_mw=1e308", "Scenario.capex_usd_per_critical_mw=1e+308",
         "[0, 1e+08]"),
        ("contingency=1e308", "Scenario.contingency=1e+308", "[0, 3]"),
        ("market.fees_btc_per_block=1e308", "MarketState.fees_btc_per_block=1e+308", "[0, 100]"),
        ("market.anchor_height=1e23", "MarketState.anchor_height=1e+23", "[0, 1e+07]"),
        ("market.mean_block_time_s=1e-300", "MarketState.mean_block_time_s=1e-300", "[60, 6000]"),
    ],
)  # fmt: skip
def test_an_absurd_number_is_named_with_its_range_and_nothing_is_saved(
    env, capsys, setting, named, allowed
) -> None:  # noqa: ANN001
    code, _, err = run_cli(capsys, "scenarios", "save", "t1", "--set", setting)
    assert code == 1, err
    assert f"{named} is not allowed: " in err and allowed in err
    _nothing_saved(env, capsys)


def test_one_bad_input_among_good_ones_saves_nothing(env, capsys) -> None:  # noqa: ANN001
    code, _, err = run_cli(capsys, "scenarios", "save", "t1", "--set",
                           "lease_rate_usd_per_kw_month=110", "--set",
                           "market.btc_price_usd=1e308")  # fmt: skip
    assert code == 1, err
    assert "MarketState.btc_price_usd=1e+308" in err
    _nothing_saved(env, capsys)


def test_a_demand_response_program_is_bounded(env, capsys) -> None:  # noqa: ANN001
    paid = {"dr_programs": [{"name": "x", "capacity_payment_usd_per_mw_hour": 1e308}]}
    (env / "drp1.json").write_text(json.dumps(paid), encoding="utf-8")
    code, _, err = run_cli(capsys, "scenarios", "save", "x", "--from", "drp1.json")
    assert code == 1, err
    assert (
        "--from 'drp1.json': DemandResponseProgram.capacity_payment_usd_per_mw_hour=1e+308" in err
    )
    assert "[0, 10000]" in err
    long_source = {"dr_programs": [{"name": "x", "source": "s" * 200_000}]}
    (env / "drp2.json").write_text(json.dumps(long_source), encoding="utf-8")
    code, _, err = run_cli(capsys, "scenarios", "save", "x", "--from", "drp2.json")
    assert code == 1, err
    assert "--from 'drp2.json': dr_programs[0].source = " in err
    assert "(200,000 characters): allowed: text of at most 1,000 characters" in err
    assert len(err) < 1_000  # the text is never quoted whole
    _nothing_saved(env, capsys)


@pytest.mark.parametrize("digits", [400, 5_000])
def test_a_number_of_hundreds_of_digits_names_the_file_or_option(env, capsys, digits) -> None:  # noqa: ANN001
    # 5,000 digits: Python's own "Exceeds the limit (4300 digits) ... set_int_max_str_digits()";
    # 400: an internal error (OverflowError) when the number was made a float.
    (env / "bigint.json").write_text(
        '{"lease_rate_usd_per_kw_month": ' + "9" * digits + "}", encoding="utf-8"
    )
    allowed = f"a whole number of {digits:,} digits; allowed: at most 20 digits"
    code, _, err = run_cli(capsys, "scenarios", "show", "bigint.json")
    assert code == 1, err
    assert f"NAME|FILE 'bigint.json': {allowed}" in err
    code, _, err = run_cli(capsys, "value", "sites.csv", "--scenario", "bigint.json")
    assert code == 1, err
    assert f"--scenario 'bigint.json': {allowed}" in err
    code, _, err = run_cli(capsys, "scenarios", "save", "x", "--set",
                           "lease_rate_usd_per_kw_month=" + "9" * digits)  # fmt: skip
    assert code == 1, err
    assert f"--set 'lease_rate_usd_per_kw_month': {allowed}" in err
    assert "set_int_max_str_digits" not in err and "internal error" not in err
    _nothing_saved(env, capsys)


@pytest.mark.parametrize(
    ("top", "problem"),
    [
        ({"extra": "<script>"}, "unknown key 'extra' beside 'changes'; allowed: format, changes"),
        ({"market_as_of": "yesterday"}, "market_as_of = 'yesterday': allowed: a date YYYY-MM-DD"),
        (
            {"market_as_of": "2025-11-03" + "0" * 60},
            "market_as_of = '2025-11-0300...0000000000000': allowed: a date",
        ),
    ],
)
def test_a_saved_form_s_top_level_is_checked(env, capsys, top, problem) -> None:  # noqa: ANN001
    saved = {"format": 1, "changes": {"lease_rate_usd_per_kw_month": 140.0}, **top}
    (env / "saved.json").write_text(json.dumps(saved), encoding="utf-8")
    code, _, err = run_cli(capsys, "scenarios", "show", "saved.json")
    assert code == 1, err
    assert f"NAME|FILE 'saved.json': {problem}" in err
    code, _, err = run_cli(capsys, "scenarios", "save", "x", "--from", "saved.json")
    assert code == 1, err
    assert f"--from 'saved.json': {problem}" in err
    _nothing_saved(env, capsys)


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (("sites", "import", "dir.csv"), "FILE 'dir.csv': is a folder; allowed: a .csv or .xlsx"),
        (("sites", "export", "dir.csv"), "FILE 'dir.csv': is a folder; allowed: a .csv or .xlsx"),
        (("value", "dir.csv"), "SITES 'dir.csv': is a folder; allowed: a .csv or .xlsx"),
        (("plan", "dir.csv"), "SITES 'dir.csv': is a folder; allowed: a .csv or .xlsx"),
        (("scenarios", "show", "dir.json"), "NAME|FILE 'dir.json': is a folder; allowed: a .json"),
        (("scenarios", "save", "x", "--from", "dir.json"),
         "--from 'dir.json': is a folder; allowed: a .json"),
        (("value", "sites.csv", "--scenario", "dir.json"),
         "--scenario 'dir.json': is a folder; allowed: a .json"),
    ],
)  # fmt: skip
def test_a_folder_given_as_a_file_is_named(env, capsys, args, named) -> None:  # noqa: ANN001
    # Each said only "[Errno 21] Is a directory".
    (env / "dir.csv").mkdir()
    (env / "dir.json").mkdir()
    code, _, err = run_cli(capsys, *args)
    assert code == 1, err
    assert named in err
    assert "Errno" not in err
