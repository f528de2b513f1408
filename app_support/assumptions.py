"""The session's assumptions in one place: the sidebar's controls, the named scenarios and the
address.

``sidebar(site=...)`` draws the controls (lease rate, retrofit capex, Bitcoin price, hashrate
growth, the discount rates, the chance a tenant signs, the value after the horizon) under a
scenario picker, and returns the session's ``Scenario``. Every page that values something calls
it, so a value set on one page holds on every other.

State: ``st.session_state[STATE_KEY]`` holds the scenario's name, the scenario that name refers to
(``Scenario()`` for "base", else the store's saved scenario), the controls changed from it (in the
controls' units, ``scenario_inputs.CONTROLS``) and a scenario another page set in
``loaders.SCENARIO_KEY`` (the Market page's live data). Widgets
are re-seeded from it on every run, so leaving a page never resets them. The address carries the
site (site page), the scenario's name and only the changed controls (``?site=riot-rockdale&
scenario=Bear&lease=102``); a new session (a reload, a shared link) starts from it.

Named scenarios are saved in the store's scenario table in the command line's saved form
(``valuation.saved_scenario``: the changes against the base scenario and the market date), plus
``market_snapshot``, the market they were made on, so a newer snapshot shows what moved.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from app_support import loaders
from app_support.safe_text import md_escape, safe_message
from app_support.scenario_inputs import (
    CAPEX_HIGH_MUSD,
    CAPEX_KEY,
    CAPEX_LOW_MUSD,
    CAPEX_PARAM,
    CAPEX_SITE,
    CAPEX_STEP_MUSD,
    CONTROLS,
    CONTROLS_BY_KEY,
    TERMINAL_LABELS,
    Control,
    apply_changes,
    control_default,
    param_text,
    parse_capex,
    parse_param,
)
from sites.store import MAX_SCENARIO_NAME_LENGTH
from valuation import formatting as fmt
from valuation.market import MarketState
from valuation.saved_scenario import saved_form, scenario_from_saved
from valuation.scenario import Scenario

if TYPE_CHECKING:
    from sites.schema import Site

STATE_KEY = "assumptions"
BASE_NAME = "base"
SCENARIO_PARAM = "scenario"
SITE_PARAM = "site"
PICK_KEY = "scenario_pick"
CAPEX_TOGGLE_KEY = "capex_one_for_all"
MAIN_CONTROLS = ("lease_rate", "btc_price", "hashrate_growth")  # always in view; the rest fold
# Every query parameter this module owns (pages may add their own, e.g. the compare page's sites).
OWNED_PARAMS = (SITE_PARAM, SCENARIO_PARAM, CAPEX_PARAM, *(c.param for c in CONTROLS))


@dataclasses.dataclass
class SessionAssumptions:
    """What the session has chosen (see the module docstring)."""

    name: str = BASE_NAME
    named: Scenario = dataclasses.field(default_factory=Scenario)
    changes: dict[str, float | str] = dataclasses.field(default_factory=dict)
    external: Scenario | None = None  # set by another page (the Market page's live data)
    written: Scenario | None = None  # what this module last put in loaders.SCENARIO_KEY
    notes: list[str] = dataclasses.field(default_factory=list)  # shown once in the sidebar
    moved: str = ""  # what moved since the named scenario was saved
    page: str = ""  # the page the widgets were last drawn on (its script hash)
    page_changed: bool = True

    @property
    def reference(self) -> Scenario:
        """What the changes apply to: a scenario another page set, else the named scenario."""
        return self.named if self.external is None else self.external

    @property
    def scenario(self) -> Scenario:
        return apply_changes(self.reference, self.changes)


# --- Named scenarios ---------------------------------------------------------------------------


def saved_data(scenario: Scenario) -> dict[str, Any]:
    """What the app saves for a scenario: the command line's saved form and the market it was
    made on (read by ``what_moved`` when a newer snapshot is in use)."""
    return {**saved_form(scenario), "market_snapshot": scenario.market.to_dict()}


_MARKET_FIELDS = (
    ("btc_price_usd", "Bitcoin price", fmt.usd_exact),
    ("network_hashrate_eh_s", "network hashrate", lambda v: f"{v:,.0f} EH/s"),
    ("fees_btc_per_block", "fees", lambda v: f"{v:.3f} BTC a block"),
    ("network_hashrate_growth_per_year", "hashrate growth", lambda v: fmt.pct(v) + " a year"),
)


def what_moved(data: dict[str, Any], today: MarketState) -> str:
    """One sentence on what moved between the market a saved scenario was made on and
    ``today``'s, for the market figures the scenario does not set itself; "" when nothing did."""
    made_on = str(data.get("market_as_of", ""))
    if not made_on or made_on == today.as_of.isoformat():
        return ""
    set_by_scenario = (data.get("changes") or {}).get("market") or {}
    before = data.get("market_snapshot") or {}
    moves = []
    for field, label, show in _MARKET_FIELDS:
        old = before.get(field)
        new = getattr(today, field)
        if field in set_by_scenario or not isinstance(old, int | float):
            continue
        if not math.isclose(float(old), float(new), rel_tol=1e-9):
            moves.append(f"{label} {show(float(old))} → {show(float(new))}")
    head = f"Saved on the market of {made_on}; valued now on {today.as_of.isoformat()}"
    return head + (": " + "; ".join(moves) + "." if moves else ".")


def _load_named(state: SessionAssumptions, name: str) -> None:
    """Make ``name`` the session's scenario (its changes cleared); a problem becomes a note."""
    if name == BASE_NAME:
        state.name, state.named, state.changes, state.moved = BASE_NAME, Scenario(), {}, ""
        return
    try:
        data = loaders.store().load_scenario(name)
        named = scenario_from_saved(data)
    except Exception as exc:  # not found, a bad saved form, the database: say so, keep going
        state.notes.append(f"Scenario {md_escape(name)} could not be loaded: {safe_message(exc)}")
        return
    state.name, state.named, state.changes = name, named, {}
    state.external = None
    state.moved = what_moved(data, named.market)


def _state() -> SessionAssumptions:
    """The session's assumptions; a new session starts from the address."""
    state = st.session_state.get(STATE_KEY)
    if isinstance(state, SessionAssumptions):
        return state
    state = SessionAssumptions()
    st.session_state[STATE_KEY] = state
    params = st.query_params
    if params.get(SCENARIO_PARAM):
        # a saved name may be as long as the store allows
        _load_named(state, str(params[SCENARIO_PARAM])[:MAX_SCENARIO_NAME_LENGTH])
    for control in CONTROLS:
        text = params.get(control.param)
        if text is None:
            continue
        try:
            value = parse_param(control, str(text))
        except ValueError as exc:
            state.notes.append(f"Address ignored: {md_escape(str(exc))}.")
            continue
        if value != control_default(control, state.reference):
            state.changes[control.key] = value
    if params.get(CAPEX_PARAM) is not None:
        try:
            state.changes[CAPEX_KEY] = parse_capex(str(params[CAPEX_PARAM]))
        except ValueError as exc:
            state.notes.append(f"Address ignored: {md_escape(str(exc))}.")
    return state


def _adopt_external(state: SessionAssumptions) -> None:
    """Another page may set the session's scenario in ``loaders.SCENARIO_KEY`` (the Market page
    puts live market data there, and removes it to go back to the offline snapshot): follow it.
    It already holds the controls' changes, so they start again from it."""
    current = st.session_state.get(loaders.SCENARIO_KEY)
    if current is state.written:
        return
    if current is None:
        state.external = None
    else:
        state.external = current
        state.changes.clear()


# --- Widgets -----------------------------------------------------------------------------------


def _seed(key: str, value: object) -> None:
    """Give a widget the session's value before it is drawn: on a page's first run (a widget of
    another page is another widget, even under the same key), after a reload (its state is gone)
    or when the session's value moved (a scenario loaded, a reset). Left alone when the same
    page's widget already holds the value, so a run that ends while the user is still moving the
    widget does not send an older value back to it (a lost key press)."""
    state: SessionAssumptions = st.session_state[STATE_KEY]
    if state.page_changed or key not in st.session_state or st.session_state[key] != value:
        st.session_state[key] = value


def _note_page(state: SessionAssumptions) -> None:
    """Whether this run is the first of a page since another page ran."""
    ctx = get_script_run_ctx()
    page = ctx.page_script_hash if ctx is not None else ""
    state.page_changed = page != state.page
    state.page = page


def _changed(key: str, default: float | str) -> None:
    """A control moved: record it as a change, or drop the change when back at the default."""
    state: SessionAssumptions = st.session_state[STATE_KEY]
    value = st.session_state[key]
    if value == default:
        state.changes.pop(key, None)
    else:
        state.changes[key] = value


def _control(state: SessionAssumptions, control: Control) -> None:
    default = control_default(control, state.reference)
    _seed(control.key, state.changes.get(control.key, default))
    if control.kind == "choice":
        st.selectbox(
            control.label,
            list(control.choices),
            format_func=lambda v: TERMINAL_LABELS.get(v, v),
            help=control.help,
            key=control.key,
            on_change=_changed,
            args=(control.key, default),
        )
    else:
        st.slider(
            control.label,
            control.low,
            control.high,
            step=control.step,
            format=control.printf,
            help=control.help,
            key=control.key,
            on_change=_changed,
            args=(control.key, default),
        )


def _capex_changed(site_default: float | None, reference_musd: float | None) -> None:
    state: SessionAssumptions = st.session_state[STATE_KEY]
    value = float(st.session_state[CAPEX_KEY])
    if reference_musd is not None and math.isclose(value, reference_musd):
        state.changes.pop(CAPEX_KEY, None)
    elif site_default is not None and math.isclose(value, site_default):
        # Back at the site's own estimate: each site's estimate again.
        if reference_musd is None:
            state.changes.pop(CAPEX_KEY, None)
        else:
            state.changes[CAPEX_KEY] = CAPEX_SITE
    else:
        state.changes[CAPEX_KEY] = value


def _capex_toggled(start_musd: float, reference_musd: float | None) -> None:
    state: SessionAssumptions = st.session_state[STATE_KEY]
    if st.session_state[CAPEX_TOGGLE_KEY]:
        state.changes[CAPEX_KEY] = start_musd
    elif reference_musd is None:
        state.changes.pop(CAPEX_KEY, None)
    else:
        state.changes[CAPEX_KEY] = CAPEX_SITE


def _snap_capex(musd: float) -> float:
    steps = round((musd - CAPEX_LOW_MUSD) / CAPEX_STEP_MUSD)
    return min(CAPEX_HIGH_MUSD, max(CAPEX_LOW_MUSD, CAPEX_LOW_MUSD + steps * CAPEX_STEP_MUSD))


def _capex(state: SessionAssumptions, estimate_usd_per_mw: float | None, one_site: bool) -> None:
    """Retrofit capex: on a site's page a slider starting at its own estimate; elsewhere a
    switch between each site's estimate and one figure for every site."""
    ref = state.reference.capex_usd_per_critical_mw
    ref_musd = None if ref is None else _snap_capex(ref / 1e6)
    effective = state.scenario.capex_usd_per_critical_mw
    scenario = state.scenario
    help_text = (
        "Retrofit cost per MW of critical IT load before contingency, USD millions: the "
        f"scenario's contingency ({fmt.pct(scenario.contingency, digits=0)}) is added on top. "
        f"Unless set, each site's own estimate in the {scenario.capex_scenario} case is used; a "
        "figure set here applies to every site."
    )
    site_musd = (
        None
        if estimate_usd_per_mw is None or not math.isfinite(estimate_usd_per_mw)
        else _snap_capex(estimate_usd_per_mw / 1e6)
    )
    if one_site and site_musd is not None:
        shown = site_musd if effective is None else _snap_capex(effective / 1e6)
        _capex_slider(
            shown,
            help_text + f" This site's estimate: {fmt.usd_per_mw(estimate_usd_per_mw)}.",
            site_musd,
            ref_musd,
        )
        if effective is not None:
            st.caption("Set for every site; back at this site's estimate, each site uses its own.")
        return
    start = ref_musd or site_musd or 10.0
    _seed(CAPEX_TOGGLE_KEY, effective is not None)
    st.toggle(
        "One retrofit capex for every site",
        key=CAPEX_TOGGLE_KEY,
        help=help_text,
        on_change=_capex_toggled,
        args=(start, ref_musd),
    )
    if effective is None:
        st.caption("Retrofit capex: each site's own estimate.")
        return
    _capex_slider(_snap_capex(effective / 1e6), help_text, None, ref_musd)


def _capex_slider(
    value_musd: float, help_text: str, site_musd: float | None, ref_musd: float | None
) -> None:
    """The capex slider, USD M per critical MW, seeded at ``value_musd``; a move is recorded
    against the site's estimate (``site_musd``, None off a site's page) and the reference."""
    _seed(CAPEX_KEY, value_musd)
    st.slider(
        "Retrofit capex (USD M per critical MW)",
        CAPEX_LOW_MUSD,
        CAPEX_HIGH_MUSD,
        step=CAPEX_STEP_MUSD,
        format="$%.2fM",
        help=help_text,
        key=CAPEX_KEY,
        on_change=_capex_changed,
        args=(site_musd, ref_musd),
    )


def _picked() -> None:
    state: SessionAssumptions = st.session_state[STATE_KEY]
    _load_named(state, st.session_state[PICK_KEY])


def _scenario_names() -> list[str]:
    try:
        saved = loaders.store().list_scenarios()
    except Exception as exc:
        st.caption(f"Saved scenarios could not be read: {safe_message(exc)}")
        saved = []
    return [BASE_NAME, *(n for n in saved if n != BASE_NAME)]


def _name_refused(name: str) -> str | None:
    """Why a scenario cannot be saved under ``name`` (the store's rule: ``sites.store``), in
    words for the sidebar, the name shown literally; None when it can."""
    from sites.store import scenario_name_problem

    problem = scenario_name_problem(name)
    if problem is None:
        return None
    return md_escape(f"The name {name[:60]!r} {problem}: choose another name.")


def _save(state: SessionAssumptions, name: str) -> None:
    name = name.strip()
    if (refused := _name_refused(name)) is not None:  # "Base" too, not only "base"
        state.notes.append(refused)
        return
    scenario = state.scenario
    try:
        loaders.store().save_scenario(name, saved_data(scenario))
    except Exception as exc:
        state.notes.append(f"Not saved: {safe_message(exc)}")
        return
    data = saved_data(scenario)
    state.name, state.named, state.changes, state.moved = name, scenario_from_saved(data), {}, ""
    state.external = None  # the saved scenario carries what another page had set
    state.notes.append(f"Saved as {md_escape(name)}.")


def _rename(state: SessionAssumptions, new: str) -> None:
    new = new.strip()
    old = state.name
    if old == BASE_NAME:
        state.notes.append('"base" is the built-in scenario: it cannot be renamed.')
        return
    if (refused := _name_refused(new)) is not None:
        state.notes.append(refused)
        return
    store = loaders.store()
    try:
        if new in store.list_scenarios():
            raise ValueError(f"a scenario named {new!r} exists already")
        store.save_scenario(new, store.load_scenario(old))
        store.delete_scenario(old)
    except Exception as exc:
        state.notes.append(f"Not renamed: {safe_message(exc)}")
        return
    state.name = new
    state.notes.append(f"Renamed {md_escape(old)} to {md_escape(new)}.")


def _delete(state: SessionAssumptions) -> None:
    old = state.name
    try:
        loaders.store().delete_scenario(old)
    except Exception as exc:
        state.notes.append(f"Not deleted: {safe_message(exc)}")
        return
    _load_named(state, BASE_NAME)
    state.notes.append(f"Deleted {md_escape(old)}; back to the base scenario.")


SAVE_NAME_KEY = "scenario_save_name"
NEW_NAME_KEY = "scenario_new_name"


def _clicked(action: Callable[[SessionAssumptions, str], None], text_key: str | None) -> None:
    """A button of the scenarios section: run ``action`` with its text box's name, then empty
    the box (a callback runs before the widgets are drawn, so it may)."""
    state: SessionAssumptions = st.session_state[STATE_KEY]
    action(state, str(st.session_state.get(text_key, "")) if text_key else "")
    if text_key:
        st.session_state[text_key] = ""


def _named_section(state: SessionAssumptions) -> None:
    with st.expander("Save, rename or delete scenarios"):
        name = st.text_input("Save these assumptions as", max_chars=100, key=SAVE_NAME_KEY)
        st.button(
            "Save scenario",
            icon=":material/save:",
            disabled=not name.strip(),
            on_click=_clicked,
            args=(_save, SAVE_NAME_KEY),
        )
        if state.name != BASE_NAME:
            new = st.text_input(
                f"New name for {md_escape(state.name)}", max_chars=100, key=NEW_NAME_KEY
            )
            st.button(
                "Rename",
                icon=":material/edit:",
                disabled=not new.strip(),
                on_click=_clicked,
                args=(_rename, NEW_NAME_KEY),
            )
            st.button(
                f"Delete {md_escape(state.name)}",
                icon=":material/delete:",
                key="scenario_delete",
                on_click=_clicked,
                args=(lambda s, _name: _delete(s), None),
            )
        st.caption(
            "Scenarios are saved in the inventory's database, shared with the command line "
            "(`hashpivot scenarios list`)."
        )


def changes_text(state: SessionAssumptions) -> str:
    """The changed controls in words: "lease $102; Bitcoin $90k" ("" when none)."""
    parts = []
    for key, value in state.changes.items():
        if key == CAPEX_KEY:
            parts.append(
                "capex: each site's estimate"
                if value == CAPEX_SITE
                else f"capex ${float(value):.2f}M per MW"
            )
            continue
        control = CONTROLS_BY_KEY[key]
        if control.kind == "choice":
            shown = TERMINAL_LABELS.get(str(value), str(value))
        else:
            shown = control.printf % float(value)  # "$%dk" % 90.0 -> "$90k"
        parts.append(f"{control.label.split(' (')[0].lower()} {shown}")
    return "; ".join(parts)


def _write_address(state: SessionAssumptions, site: Site | None) -> None:
    wanted: dict[str, str] = {}
    if site is not None:
        wanted[SITE_PARAM] = site.id
    if state.name != BASE_NAME:
        wanted[SCENARIO_PARAM] = state.name
    for key, value in state.changes.items():
        param = CAPEX_PARAM if key == CAPEX_KEY else CONTROLS_BY_KEY[key].param
        wanted[param] = param_text(value)
    params = st.query_params
    for param in OWNED_PARAMS:
        if param in wanted:
            if params.get(param) != wanted[param]:
                params[param] = wanted[param]
        elif param in params:
            del params[param]


def sidebar(*, site: Site | None = None, typical_capex_usd_per_mw: float | None = None) -> Scenario:
    """Draw the assumption controls in the sidebar and return the session's scenario.

    ``site``: the site a page is about; its capex slider starts at the site's own retrofit
    estimate and the address names the site. Without one, the capex control is a switch between
    each site's estimate and one figure for every site (starting at
    ``typical_capex_usd_per_mw`` when given)."""
    state = _state()
    _adopt_external(state)
    _note_page(state)
    estimate: float | None = typical_capex_usd_per_mw
    if site is not None:
        try:
            estimate = loaders.retrofit_estimate_usd_per_mw(site, state.reference)
        except Exception:  # the page says why the site cannot be valued
            estimate = None
    with st.sidebar:
        st.subheader("Assumptions")
        names = _scenario_names()
        if state.name not in names:
            names.append(state.name)
        _seed(PICK_KEY, state.name)
        st.selectbox(
            "Scenario",
            names,
            key=PICK_KEY,
            on_change=_picked,
            help="A saved set of assumptions. Moving a control below changes it for this "
            "session; save it under a name to keep it.",
        )
        if state.moved:
            st.caption(md_escape(state.moved))
        for note in state.notes:
            st.info(note)
        state.notes.clear()
        for key in MAIN_CONTROLS[:1]:
            _control(state, CONTROLS_BY_KEY[key])
        _capex(state, estimate, one_site=site is not None)
        for key in MAIN_CONTROLS[1:]:
            _control(state, CONTROLS_BY_KEY[key])
        with st.expander("Discount rates, tenant, terminal value"):
            for control in CONTROLS:
                if control.key not in MAIN_CONTROLS:
                    _control(state, control)
        if state.changes:
            st.caption(
                "Changed from " + md_escape(state.name) + ": " + md_escape(changes_text(state))
            )
        if state.scenario != state.named and st.button(
            f"Reset to the {md_escape(state.name)} scenario", width="stretch"
        ):
            state.changes.clear()
            state.external = None
            st.rerun()
        _named_section(state)
    scenario = state.scenario
    if scenario == Scenario():
        st.session_state.pop(loaders.SCENARIO_KEY, None)
        state.written = None
    else:
        st.session_state[loaders.SCENARIO_KEY] = scenario
        state.written = scenario
    adjusted = scenario != state.named
    st.session_state[loaders.SCENARIO_NAME_KEY] = state.name + (" (adjusted)" if adjusted else "")
    _write_address(state, site)
    return scenario


def current() -> Scenario:
    """The session's scenario without drawing anything (a page with no controls)."""
    state = _state()
    _adopt_external(state)
    return state.scenario


def reference_scenario() -> Scenario:
    """What the controls' changes apply to: the named scenario, or one another page set (the
    Market page's live data). A page's parts that no control moves are drawn from it, and redrawn
    when it changes."""
    state = _state()
    _adopt_external(state)
    return state.reference


def scenario_label() -> str:
    """The session's scenario name and its changes in words, for a caption."""
    state = _state()
    text = state.name
    if state.changes:
        text += " with " + changes_text(state)
    if state.external is not None and state.external.market != state.named.market:
        text += f" (market data of {state.external.market.as_of:%d %b %Y} from the Market page)"
    elif state.external is not None and state.external != state.named:
        text += " (adjusted on another page)"
    return text


def reference() -> tuple[str, Scenario]:
    """The session's named scenario and its name: what the portfolio's flips are measured
    against."""
    state = _state()
    return state.name, state.named
