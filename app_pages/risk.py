"""Scenarios & risk: one site's Monte Carlo under a named scenario (bear, base or bull preset, a
saved scenario, or the session's assumptions): each strategy's NPV distribution, the probability
that converting wins, the tornado and spider lines of the value of converting with their
break-evens, the representative scenarios as cards, and on request the option to wait (its value
over converting now, the decision it implies in words, the share converted by each year). Every
number comes from ``valuation.risk``, ``valuation.sensitivity``, ``valuation.stories`` and
``valuation.wait_option``; every chart names the scenario that produced it. A few thousand paths
run interactively; the full run is a button."""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd
import streamlit as st

from app_support import assumptions, loaders
from app_support.display import STRATEGY_LABELS
from app_support.kept import keep, kept_index, kept_value, set_kept
from app_support.safe_text import safe_message
from reports.sections import WAIT_LABELS, wait_decision_note
from valuation import formatting as fmt
from valuation.drivers import PRESETS
from valuation.risk import simulate
from valuation.risk_presets import NamedRisk, load_preset, preset, save_presets
from valuation.sensitivity import sensitivity
from valuation.strategies import STRATEGY_ORDER
from valuation.wait_option import WaitReport, site_wait_option

INTERACTIVE_PATHS = 2_000  # a few seconds for most sites on two cores
FULL_PATHS = 10_000
RESULTS_KEY = "risk_results"  # session cache: run key -> SiteRisk (the tests read it)
LAST_KEY = "risk_last"
WAIT_RESULTS_KEY = "risk_wait_results"  # session cache: run key -> WaitReport
SESSION_CHOICE = "Session assumptions"


def _bounded(runs: dict, keep: int = 8) -> None:
    """Drop the oldest runs beyond ``keep``: the session's memory stays bounded."""
    while len(runs) > keep:
        runs.pop(next(iter(runs)))


st.title("Scenarios & risk")
st.caption(
    "Every strategy valued on the same Monte Carlo paths of BTC, network hashrate, fees, the "
    "region's power price, the lease market, tenant signing, construction delay and capex "
    "overrun, keeping the decisions the site decision made (hall count, start month)."
)

all_sites = loaders.sites_or_stop()
site = loaders.site_picker(all_sites, key="risk_site")

# --- Scenario picker ----------------------------------------------------------------------------
store = loaders.store()
try:
    saved = store.list_scenarios()
except Exception as exc:
    st.warning(f"Saved scenarios could not be read: {safe_message(exc)}")
    saved = []
choices = [f"Preset: {k}" for k in PRESETS] + [SESSION_CHOICE] + [f"Saved: {n}" for n in saved]
left, mid, right = st.columns([3, 1, 1])
choice = left.selectbox("Scenario", choices, index=kept_index("risk_scenario", choices, 1),
                        key="risk_scenario", on_change=keep("risk_scenario"))  # fmt: skip
n_paths = int(mid.number_input("Paths", 100, 100_000, step=500,
                               **kept_value("risk_paths", INTERACTIVE_PATHS)))  # fmt: skip
seed = int(right.number_input("Seed", 0, 2**31 - 1, step=1, **kept_value("risk_seed", 0)))
# The session's assumptions, the same controls as every page: the presets are built on them.
session_scenario = assumptions.sidebar(site=site)
try:
    if choice.startswith("Preset: "):
        named = preset(choice.removeprefix("Preset: "), session_scenario)
    elif choice == SESSION_CHOICE:
        named = NamedRisk("session assumptions", session_scenario, PRESETS["base"])
    else:
        named = load_preset(store, choice.removeprefix("Saved: "))
except Exception as exc:
    st.error(f"The scenario could not be read: {safe_message(exc)}")
    st.stop()
# A preset is built on the session's assumptions: name them (user text: st.text, literal).
on = f" on {assumptions.scenario_label()}" if choice.startswith("Preset: ") else ""
st.text(
    f"Scenario: {named.name}{on} (market as of {named.scenario.market.as_of:%d %b %Y}); BTC "
    f"volatility {fmt.pct(named.drivers.btc_volatility_per_year)} a year, tenant default "
    f"{fmt.pct(named.drivers.tenant_default_probability_per_year)} a year, capex overrun median "
    f"x{named.drivers.capex_overrun_median:.2f}, delay in "
    f"{fmt.pct(named.drivers.delay_probability)} of builds"
)
b1, b2 = st.columns(2)
# The full run sets the paths control itself, so the run stays full on the page's next reruns
# (the option to wait below runs on the same paths).
b1.button(
    f"Full run ({FULL_PATHS:,} paths)",
    key="risk_full",
    on_click=lambda: set_kept("risk_paths", FULL_PATHS),
)
if b2.button("Save bear, base and bull as named scenarios", key="risk_save_presets"):
    try:
        names = save_presets(store, session_scenario)
    except Exception as exc:
        st.error(f"The presets could not be saved: {safe_message(exc)}")
    else:  # rerun so the picker lists them
        st.session_state["risk_saved"] = "Saved as named scenarios: " + ", ".join(names)
        st.rerun()
if saved_note := st.session_state.pop("risk_saved", None):
    st.success(saved_note)

# --- Run (cached in the session by everything that changes a number) ------------------------------
# The site's stored price history, as its site page values it (None when it has none).
try:
    history = loaders.price_history(site.id)
except Exception as exc:  # an unreadable history: said, and the region's curve used
    st.warning(f"This site's stored price history is not used: {safe_message(exc)}")
    history = None
key = "|".join([loaders.site_key(site), loaders.scenario_key(named.scenario), named.name,
                repr(named.drivers.to_dict()), str(n_paths), str(seed),
                loaders.history_digest(history)])  # fmt: skip
results: dict = st.session_state.setdefault(RESULTS_KEY, {})
if key not in results:
    bar = st.progress(0.0, text=f"Simulating {n_paths:,} paths…")

    def _progress(done: int, total: int) -> None:
        bar.progress(done / total, text=f"Simulated {done} of {total} chunks")

    try:
        results[key] = simulate(site, named, n_paths=n_paths, seed=seed, progress=_progress,
                                price_history=history)  # fmt: skip
    except Exception as exc:
        st.error(f"This site could not be simulated: {safe_message(exc)}")
        st.stop()
    bar.empty()
    _bounded(results)
risk = results[key]
st.session_state[LAST_KEY] = risk
# The Board pack page includes the run under the scenario it was made under: the session's
# assumptions for a preset (built on them), a saved scenario's own.
made_under = named.scenario if choice.startswith("Saved: ") else session_scenario
loaders.keep_for_pack(loaders.LAST_RISK_KEY, risk, made_under)


def _keep_for_pack(wait: WaitReport | None) -> None:
    """The Board pack page includes the option to wait valued for the run on screen, and no
    other: with the run (LAST_RISK_KEY, above) it is kept, or dropped when this run has none."""
    if wait is None:
        loaders.drop_from_pack(loaders.LAST_WAIT_KEY)
    else:
        run = loaders.WaitRun(site.id, wait, seed, named.name)
        loaders.keep_for_pack(loaders.LAST_WAIT_KEY, run, made_under)


_keep_for_pack(st.session_state.get(WAIT_RESULTS_KEY, {}).get(key))
where = f"{named.name}, {risk.n_paths:,} paths, seed {risk.seed}"

p, se = risk.probability_converting_wins()
c1, c2, c3 = st.columns(3)
c1.metric("Probability converting wins", fmt.pct(p), help=f"± {fmt.pct(se)} (standard error)")
best_conv = float(risk.best_converting_usd.mean())
best_non = float(risk.best_not_converting_usd.mean())
c2.metric("Best converting, mean NPV", fmt.usd(best_conv))
c3.metric("Best not converting, mean NPV", fmt.usd(best_non))

# --- Distributions ---------------------------------------------------------------------------------
summary = risk.summary()
shown = [k for k in STRATEGY_ORDER if not any(
    np.array_equal(risk.npv_usd[k], risk.npv_usd[j]) for j in STRATEGY_ORDER[: STRATEGY_ORDER.index(k)]
)]  # fmt: skip
table = summary.loc[shown].rename(index=lambda k: STRATEGY_LABELS.get(k, k)) / 1e6
table.columns = ["Mean", "Std error", "P10", "P50", "P90", "ES 5%"]
st.subheader("NPV by strategy (USD M)")
st.text(f"Scenario: {where}. Strategies identical on every path are shown once.")
st.dataframe(table.style.format("{:,.1f}"), width="stretch")
q = np.linspace(0.0, 1.0, 201)
ecdf = pd.concat(
    [pd.DataFrame({"strategy": STRATEGY_LABELS.get(k, k), "npv_musd":
                   np.quantile(risk.npv_usd[k], q) / 1e6, "share": q}) for k in shown],
    ignore_index=True,
)  # fmt: skip
st.altair_chart(
    alt.Chart(ecdf, title=f"Distribution of NPV ({where})")
    .mark_line()
    .encode(
        x=alt.X("npv_musd:Q", title="NPV (USD M)"),
        y=alt.Y("share:Q", title="Share of paths at or below", axis=alt.Axis(format="%")),
        color=alt.Color("strategy:N", legend=alt.Legend(orient="bottom", title=None, columns=2)),
        tooltip=[
            alt.Tooltip("strategy:N"),
            alt.Tooltip("npv_musd:Q", format=",.1f"),
            alt.Tooltip("share:Q", format=".0%"),
        ],  # fmt: skip
    ),
    width="stretch",
)

# --- Sensitivity ------------------------------------------------------------------------------------
try:
    sens = sensitivity(site, named.scenario, scenario_name=named.name, price_history=history)
except Exception as exc:
    st.error(f"The sensitivity could not be computed: {safe_message(exc)}")
    st.stop()
st.subheader("What moves the value of converting")
st.text(
    f"Scenario: {named.name}. Value of converting today {fmt.usd(sens.gap_base_usd)} (best "
    "converting minus best not converting, on the rows the site decision chose); each driver "
    "moved alone to its low and high value."
)
tor = sens.tornado.copy()
bars = pd.concat([
    pd.DataFrame({"driver": tor["label"], "end": "low", "value": tor["low_value"],
                  "change_musd": tor["low_change_usd"] / 1e6, "breakeven": tor["breakeven_value"]}),
    pd.DataFrame({"driver": tor["label"], "end": "high", "value": tor["high_value"],
                  "change_musd": tor["high_change_usd"] / 1e6, "breakeven": tor["breakeven_value"]}),
], ignore_index=True)  # fmt: skip
st.altair_chart(
    alt.Chart(bars, title=f"Tornado: change in the value of converting ({named.name})")
    .mark_bar()
    .encode(
        y=alt.Y("driver:N", sort=list(tor["label"]), title=None, axis=alt.Axis(labelLimit=260)),
        x=alt.X("change_musd:Q", title="Change (USD M)"),
        color=alt.Color("end:N", legend=alt.Legend(orient="bottom", title="Driver at")),
        tooltip=[
            "driver:N",
            "end:N",
            alt.Tooltip("value:Q", format=",.2f"),
            alt.Tooltip("change_musd:Q", format=",.1f"),
            alt.Tooltip("breakeven:Q", title="break-even", format=",.2f"),
        ],  # fmt: skip
    ),
    width="stretch",
)
be = sens.breakevens
st.text(
    f"Break-evens ({named.name}): lease {fmt.rate_usd_per_kw_month(be.lease_rate_usd_per_kw_month)}"
    f", capex {fmt.usd(be.max_capex_usd_per_mw)} per MW, BTC {fmt.usd(be.btc_price_usd)}, "
    f"hashprice {fmt.hashprice(be.hashprice_usd_per_ph_day)} (n/a where none in range)"
)
spider = sens.spider.assign(gap_musd=sens.spider["gap_usd"] / 1e6)
st.altair_chart(
    alt.Chart(spider, title=f"Spider: value of converting by driver ({named.name})")
    .mark_line(point=True)
    .encode(
        x=alt.X("factor:Q", title="Driver x its base value", axis=alt.Axis(format=".0%")),
        y=alt.Y("gap_musd:Q", title="Value of converting (USD M)"),
        color=alt.Color("label:N", legend=alt.Legend(orient="bottom", title=None)),
        tooltip=[
            "label:N",
            alt.Tooltip("value:Q", format=",.2f"),
            alt.Tooltip("gap_musd:Q", format=",.1f"),
        ],  # fmt: skip
    ),
    width="stretch",
)

# --- Stories -------------------------------------------------------------------------------------------
st.subheader("Representative scenarios")
st.text(f"Scenario: {where}. Paths clustered by their BTC, hashrate, power and lease paths.")
try:
    tales = risk.stories(n_stories=4)
except Exception as exc:
    st.info(f"Too few paths for stories: {safe_message(exc)}")
else:
    cols = st.columns(len(tales.stories))
    for col, story in zip(cols, tales.stories, strict=True):
        with col.container(border=True):
            st.text(story.name)
            st.metric("Probability", fmt.pct(story.probability))
            by_key = dict(zip(tales.strategy_keys, story.mean_npv_usd, strict=True))
            conv = max(by_key[k] for k in ("convert", "hybrid", "mine_then_convert"))
            non = max(by_key[k] for k in ("keep_mining", "mining_with_dr", "sell_site"))
            st.text(f"Best converting {fmt.usd(conv)}\nBest not converting {fmt.usd(non)}")

# --- Now or later: the option to wait -------------------------------------------------------------
st.subheader("Now or later: the option to wait")
st.text(
    f"Scenario: {where}. Keep mining and convert later, when the lease market or hashprice has "
    "moved: least-squares Monte Carlo (Longstaff and Schwartz, 2001) over a yearly decision to "
    "start the conversion, on the same scenario, paths and seed."
)
waits: dict = st.session_state.setdefault(WAIT_RESULTS_KEY, {})
wait_button = st.empty()  # emptied once the option is valued
if key not in waits and wait_button.button("Value the option to wait", key="risk_wait"):
    wait_button.empty()
    with st.spinner(f"Valuing the option to wait on {n_paths:,} paths…"):
        try:
            waits[key] = site_wait_option(
                site,
                named.scenario,
                drivers=named.drivers,
                n_paths=n_paths,
                seed=seed,
                price_history=history,
            )
        except Exception as exc:
            st.error(f"The option to wait could not be valued: {safe_message(exc)}")
            st.stop()
    _bounded(waits)
if (wait := waits.get(key)) is not None:
    _keep_for_pack(wait)
    w1, w2, w3, w4 = st.columns(4)
    w1.metric(
        WAIT_LABELS["option_to_wait_usd"],
        fmt.usd(wait.option_to_wait_usd),
        help="Over converting now: the value of keeping the choice of when to convert, "
        f"± {fmt.usd(wait.option_to_wait_std_error_usd)} (standard error). Zero: converting "
        "now is as good as any later start.",
    )
    w2.metric(WAIT_LABELS["value_usd"], fmt.usd(wait.value_usd),
              help=f"± {fmt.usd(wait.std_error_usd)} (standard error); the site valued with "
              "the choice of when to convert, taken as the decision below says")  # fmt: skip
    w3.metric(WAIT_LABELS["convert_now_usd"], fmt.usd(wait.convert_now_usd))
    w4.metric(WAIT_LABELS["never_convert_usd"], fmt.usd(wait.never_convert_usd))
    st.text(wait_decision_note(wait))
    by_year = pd.DataFrame({"year": np.arange(1, wait.converted_by_year.size + 1),
                            "share": wait.converted_by_year})  # fmt: skip
    st.altair_chart(
        alt.Chart(by_year, title=f"Share of paths converted by each year ({named.name})")
        .mark_bar()
        .encode(
            x=alt.X("year:O", title="Year", axis=alt.Axis(labelAngle=0)),
            y=alt.Y(
                "share:Q",
                title="Converted by then",
                axis=alt.Axis(format="%"),
                scale=alt.Scale(domain=[0, 1]),
            ),
            tooltip=["year:O", alt.Tooltip("share:Q", format=".0%")],
        ),
        width="stretch",
    )
