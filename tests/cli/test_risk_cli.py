"""``hashpivot risk``: the numbers are valuation.risk's for the same seed and scenario; presets by
name (built in or saved in the store); every bad input named with exit code 1."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from cli_helpers import run_cli, sites_folder

from sites import load_example_portfolio
from sites.store import SiteStore
from valuation.risk import simulate, simulate_portfolio
from valuation.risk_presets import PRESET_NAMES, preset, save_presets

SITES = [s for s in load_example_portfolio() if s.id in ("corz-muskogee", "corz-marble")]


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return sites_folder(tmp_path, monkeypatch, SITES)


def test_one_site_json_is_simulates_numbers(env, capsys) -> None:  # noqa: ANN001
    code, out, err = run_cli(capsys, "risk", "sites.csv", "--site", "corz-muskogee", "--paths",
                          "50", "--seed", "7", "--scenario", "bear", "--json")  # fmt: skip
    assert code == 0, err
    data = json.loads(out)
    assert data["scenario"]["name"] == PRESET_NAMES["bear"]
    r = simulate(SITES[0], preset("bear"), n_paths=50, seed=7)
    for key, values in r.npv_usd.items():
        assert data["strategies"][key]["mean_usd"] == pytest.approx(values.mean(), rel=1e-12)
        assert data["strategies"][key]["p10_usd"] == pytest.approx(
            np.quantile(values, 0.1), rel=1e-12
        )
    assert data["p_converting_wins"] == r.probability_converting_wins()[0]


def test_the_option_to_wait_is_site_wait_options(env, capsys) -> None:  # noqa: ANN001
    from valuation.formatting import usd
    from valuation.wait_option import site_wait_option

    code, out, err = run_cli(capsys, "risk", "sites.csv", "--site", "corz-muskogee", "--paths",
                             "64", "--seed", "3", "--wait", "--json")  # fmt: skip
    assert code == 0, err
    got = json.loads(out)["option_to_wait"]
    named = preset("base")
    want = site_wait_option(SITES[0], named.scenario, drivers=named.drivers, n_paths=64, seed=3)
    assert got["value_usd"] == want.value_usd
    assert got["option_to_wait_usd"] == want.option_to_wait_usd
    assert got["convert_now_usd"] == want.convert_now_usd
    assert got["converted_by_year"] == want.converted_by_year.tolist()
    assert (got["policy"], got["decision"]) == (want.policy, want.decision())
    assert got["fitted_rule"] == want.fitted_rule
    code, out, _ = run_cli(capsys, "risk", "sites.csv", "--site", "corz-muskogee", "--paths",
                           "64", "--seed", "3", "--wait")  # fmt: skip
    assert code == 0
    assert f"Value of waiting {usd(want.option_to_wait_usd)}" in out
    assert f"With the option, mean NPV {usd(want.value_usd)}" in out
    assert f"The decision: {want.decision()}. " in out and "no tenant default" in out


def test_text_output_and_a_preset_saved_in_the_store(env, capsys) -> None:  # noqa: ANN001
    save_presets(SiteStore(None))
    code, out, _ = run_cli(capsys, "risk", "--store", "--site", "corz-marble", "--paths", "30",
                        "--scenario", PRESET_NAMES["bull"])  # fmt: skip
    assert code == 0
    assert out.startswith(f"Scenario {PRESET_NAMES['bull']}")
    assert "keep_mining" in out and "P(converting beats not converting)" in out


def test_portfolio_json(env, capsys) -> None:  # noqa: ANN001
    code, out, err = run_cli(capsys, "risk", "sites.csv", "--paths", "40", "--json")
    assert code == 0, err
    rows = {r["site_id"]: r for r in json.loads(out)["sites"]}
    assert set(rows) == {"corz-muskogee", "corz-marble", "portfolio"}
    res = simulate_portfolio(SITES, preset("base"), n_paths=40, seed=0)
    t = res.table.set_index("site_id")
    assert rows["portfolio"]["convert_mean_usd"] == pytest.approx(
        t.loc["portfolio", "convert_mean_usd"], rel=1e-12
    )


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--paths", "0"], "--paths '0'"),
        (["--seed", "-3"], "--seed '-3'"),
        (["--scenario", "nope"], "--scenario 'nope'"),
        (["--start-rows"], "--start-rows"),
        (["--wait"], "--wait: give one site"),
        (["--site", "corz-muskogee", "--wait", "--paths", "1"], "with --wait allowed 2 to"),
        # refused before the Monte Carlo run, not after it
        (["--site", "corz-muskogee", "--wait", "--paths", "200001"], "--paths 200001: with --wait"),
        # every input problem at once: the preset, the sites and the paths
        (["--wait", "--paths", "1", "--scenario", "nope"], "--wait: give one site"),
        (["--wait", "--paths", "1", "--scenario", "nope"], "--scenario 'nope'"),
    ],
)
def test_bad_inputs_are_named(env, capsys, argv, message) -> None:  # noqa: ANN001
    code, _, err = run_cli(capsys, "risk", "sites.csv", *argv)
    assert code == 1
    assert message in err
