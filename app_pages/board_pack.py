"""Board pack: the Excel workbook and the PDF memo of the whole portfolio or one site, under the
session's scenario, as downloads. The sites are valued here (through the app's cached decisions);
each file is built only when its button is clicked (``reports``)."""

from __future__ import annotations

import re
from functools import partial

import pandas as pd
import streamlit as st

from app_support import assumptions, loaders
from app_support.kept import keep, kept_index
from app_support.safe_text import md_escape, safe_message
from reports import FORMATS, build_pack, pack_bytes
from reports import decision_view as view
from reports.pack import section_heading, site_labels
from sites.redact import mask_credentials
from valuation import formatting as fmt
from valuation.scenario import Scenario

PACK_KEY = "board_pack"  # the last pack made on this page (the tests read it)
SCENARIO_NAME_KEY = getattr(loaders, "SCENARIO_NAME_KEY", "scenario_name")

st.title("Board pack")
st.caption(
    "A workbook (summary, assumptions, monthly cash flows, retrofit line items, charts) and a "
    "memo (a cover, one page per site, the assumptions) for the board, under the scenario in use."
)

all_sites = loaders.sites_or_stop()

scenario = assumptions.sidebar()  # the session's assumptions, the same controls as every page
scenario_name = st.session_state.get(SCENARIO_NAME_KEY) or (
    "base" if scenario == Scenario() else "session assumptions"
)
scopes = ["Whole portfolio", "One site"]
scope = st.radio("Contents", scopes, kept_index("pack_scope", scopes), horizontal=True,
                 key="pack_scope", on_change=keep("pack_scope"))  # fmt: skip
if scope == "One site":
    chosen = [loaders.site_picker(all_sites, key="pack_site")]
else:
    chosen = list(all_sites)

st.markdown("**Scenario**")
st.text(
    f"{scenario_name}: market as of {scenario.market.as_of:%d %b %Y}, lease "
    f"{fmt.rate_usd_per_kw_month(scenario.lease_rate_usd_per_kw_month)}, Bitcoin "
    f"{fmt.usd_exact(scenario.market.btc_price_usd)}, discount rate "
    f"{fmt.pct(scenario.discount_rate_per_year)} a year"
)

bar = st.progress(0.0, text="Valuing the sites…") if len(chosen) > 1 else None


def _progress(done: int, total: int, site: object) -> None:
    if bar is not None:
        bar.progress(done / total, text=f"Valued {done} of {total} sites")


risk_sections, wait_sections, plan_sections, left_out = loaders.pack_sections(scenario)
risk_sections += wait_sections  # the option to wait is a risk result: after the run
if risk_sections or plan_sections:
    # Each by its heading (the site it is about, by name, as the pack prints it): the session's
    # last runs, whatever this pack's sites. Site names are user text: made literal.
    names = site_labels(all_sites)
    st.caption(
        "Included from this session (run again on their pages to refresh): "
        + "; ".join(
            md_escape(section_heading(s, names)) for s in (*risk_sections, *plan_sections)
        )  # fmt: skip
        + "."
    )
if left_out:
    st.info(
        "Left out: " + ", ".join(left_out) + ", made this session under other assumptions than "
        "this pack's. Run again on their pages under these assumptions to include them."
    )
try:
    pack = build_pack(
        chosen,
        scenario,
        scenario_name=scenario_name,
        decide=loaders.decision,
        progress=_progress,
        risk=risk_sections or None,
        plan=plan_sections or None,
    )
except ValueError as exc:
    st.error(f"The board pack could not be made: {safe_message(exc)}")
    st.stop()
if bar is not None:
    bar.empty()
st.session_state[PACK_KEY] = pack

if pack.failures:
    st.warning(f"{len(pack.failures)} site(s) could not be valued and are left out of the pack:")
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "Site": f.site.name,
                    "Operator": f.site.operator,
                    "Reason": mask_credentials(f.reason),
                }  # fmt: skip
                for f in pack.failures
            ]  # fmt: skip
        ),
        hide_index=True,
    )
if not pack.results:
    st.error("No site could be valued, so there is no pack to download.")
    st.stop()

stem = re.sub(r"[^a-z0-9]+", "-", f"hashpivot-board-pack-{scenario_name}".lower()).strip("-")
if len(chosen) == 1:
    stem += "-" + re.sub(r"[^a-z0-9]+", "-", chosen[0].id.lower()).strip("-")
left, right = st.columns(2)
# Callables: each file is built when its button is clicked, on Streamlit's download thread.
left.download_button(
    "Workbook (.xlsx)",
    partial(pack_bytes, pack, "xlsx"),
    file_name=f"{stem}.xlsx",
    mime=FORMATS["xlsx"],
    on_click="ignore",
    icon=":material/table_chart:",
    width="stretch",
)
right.download_button(
    "Memo (.pdf)",
    partial(pack_bytes, pack, "pdf"),
    file_name=f"{stem}.pdf",
    mime=FORMATS["pdf"],
    on_click="ignore",
    icon=":material/picture_as_pdf:",
    width="stretch",
)

st.subheader("In the pack")
st.dataframe(
    pd.DataFrame(
        [
            {
                "Site": r.site.name,
                "Operator": r.site.operator,
                "Recommended path": view.best_label(r.decision),
                "Value of converting": fmt.usd(view.value_of_converting_usd(r.decision)),
            }
            for r in pack.results
        ]
    ),
    hide_index=True,
    width="stretch",
)
