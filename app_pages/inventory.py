"""Inventory: the sites in the store, editable in place with validation messages per row and cell,
add and delete, CSV/Excel import listing every problem when a file is refused, and downloads of the
inventory and of an empty template."""

from __future__ import annotations

import tempfile
from functools import partial
from pathlib import Path

import pandas as pd
import streamlit as st

from app_support import auth, loaders
from app_support.inventory_view import frame_to_sites, sites_frame
from app_support.safe_text import md_escape, safe_message
from app_support.site_form import OPTIONAL_FIELDS, REQUIRED_FIELDS, form_problems, site_from_form
from sites.errors import SiteValidationError, StaleSiteError
from sites.io import COLUMN_HELP, MAX_DATA_ROWS, MAX_FILE_BYTES, export_bytes, template_bytes
from sites.schema import (
    COLUMN_KINDS,
    CONTRACT_TYPES,
    GRID_REGIONS,
    SITE_COLUMNS,
    WATER_AVAILABILITY,
)
from sites.validation import CHOICE_COLUMNS

EDITOR_KEY = "inventory_editor"

st.title("Inventory")
access = auth.current()
if access.can_edit:
    st.caption(
        "Every site Hashpivot values. Edit cells, add rows at the bottom or delete selected rows, "
        "then save: nothing is written until every row passes the checks. Power is gross MW at "
        "the meter."
    )
else:
    st.caption(
        "Every site Hashpivot values (read only: your account may view, not change, the "
        "inventory). Power is gross MW at the meter."
    )


def problems_frame(problems) -> pd.DataFrame:
    """Problems as a table the user can read: where, the value found, and the rule it breaks."""
    return pd.DataFrame(
        [
            {
                "Row": p.row,
                "Column": p.column,
                "Value": "" if p.value is None else str(p.value),
                "Rule": p.rule,
            }
            for p in problems
        ]
    )


SNAPSHOT_KEY = "inventory_snapshot"
PENDING_KEY = "inventory_pending"


def pending(changes: object) -> bool:
    """True when the editor holds edits, added rows or deleted rows not yet saved."""
    return isinstance(changes, dict) and bool(
        changes.get("edited_rows") or changes.get("added_rows") or changes.get("deleted_rows")
    )


def discard_edits() -> None:
    """Drop the pending edits and the copy they were made on: the next run reads the store."""
    st.session_state.pop(EDITOR_KEY, None)
    st.session_state.pop(SNAPSHOT_KEY, None)
    st.session_state.pop(PENDING_KEY, None)


# --- Downloads --------------------------------------------------------------------------------------
_MIME = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv",
}


def downloads(sites) -> None:
    """The inventory and the template (header, a units row and an example row, both skipped on
    import), as .xlsx and .csv (formula-neutralised by sites.io):
    the app's own safe export (the tables' toolbar download is off, .streamlit/config.toml)."""
    st.subheader("Download")
    items = [
        (f"Inventory (.{fmt_})", partial(export_bytes, sites, fmt_), "hashpivot-sites", fmt_)
        for fmt_ in ("xlsx", "csv")
    ] + [
        (
            f"Template (.{fmt_})",
            partial(template_bytes, fmt_),
            "hashpivot-sites-template",
            fmt_,
        )
        for fmt_ in ("xlsx", "csv")
    ]
    for column, (label, make_bytes, stem, fmt_) in zip(st.columns(4), items, strict=True):
        # A callable: the file is built when clicked, not on every rerun of an edit.
        column.download_button(
            label, make_bytes, file_name=f"{stem}.{fmt_}", mime=_MIME[fmt_], on_click="ignore"
        )


try:
    store = loaders.store()
    with_versions = store.list_with_versions()
except Exception as exc:  # the store is the user's database: say what failed, in words
    st.error(f"The site inventory could not be read: {safe_message(exc)}")
    st.stop()
stored_sites = [site for site, _ in with_versions]
current_versions = {site.id: version for site, version in with_versions}

# The editor works on a copy of the store taken when editing starts (the frame, the sites and the
# versions read). While edits are pending the copy is kept, so another session's save neither
# resets the table nor slips in under the edits: the save goes against the copy's versions and a
# site saved elsewhere in between is refused (StaleSiteError). With no pending edits the copy is
# refreshed from the store on every run.
# Whether edits were pending at the end of the previous run (the editor's own state is read only
# after the widget is drawn).
has_changes = bool(st.session_state.get(PENDING_KEY))
snapshot = st.session_state.get(SNAPSHOT_KEY)
if snapshot is None or not has_changes:
    snapshot = {
        "frame": sites_frame(stored_sites),
        "sites": {site.id: site for site in stored_sites},
        "versions": dict(current_versions),
    }
    st.session_state[SNAPSHOT_KEY] = snapshot
stored = snapshot["sites"]
versions = snapshot["versions"]
moved_on = sorted(
    site_id
    for site_id in set(versions) | set(current_versions)
    if versions.get(site_id) != current_versions.get(site_id)
)

flash = st.session_state.pop("inventory_flash", None)
if flash:
    st.success(flash)

# --- Editor ----------------------------------------------------------------------------------------
column_config: dict[str, object] = {}
for column in SITE_COLUMNS:
    label = column.replace("_", " ")
    help_text = COLUMN_HELP.get(column, "")
    kind = COLUMN_KINDS[column]
    if column in CHOICE_COLUMNS:
        column_config[column] = st.column_config.SelectboxColumn(
            label, options=list(CHOICE_COLUMNS[column]), help=help_text
        )
    elif kind in ("bool", "optional_bool"):
        column_config[column] = st.column_config.CheckboxColumn(label, help=help_text)
    elif kind == "date":
        column_config[column] = st.column_config.DateColumn(label, help=help_text)
    elif kind in ("float", "int", "optional_int", "optional_float"):
        column_config[column] = st.column_config.NumberColumn(
            label, help=help_text, format="%d" if kind in ("int", "optional_int") else None
        )
    else:
        column_config[column] = st.column_config.TextColumn(label, help=help_text)
column_config["id"] = st.column_config.TextColumn("id", help=COLUMN_HELP["id"], pinned=True)
column_config["name"] = st.column_config.TextColumn("name", help=COLUMN_HELP["name"], pinned=True)

if not access.can_edit:
    st.dataframe(
        snapshot["frame"], hide_index=True, width="stretch", height=420, column_config=column_config
    )
    st.caption(f"{len(stored_sites)} sites saved in {md_escape(store.path_or_url)}.")
    downloads(stored_sites)
    st.stop()

edited = st.data_editor(
    snapshot["frame"],
    num_rows="dynamic",
    hide_index=True,
    width="stretch",
    height=420,
    column_config=column_config,
    key=EDITOR_KEY,
)

has_changes = pending(st.session_state.get(EDITOR_KEY))
st.session_state[PENDING_KEY] = has_changes
problems = []
new_sites = []
if has_changes:
    try:
        new_sites = frame_to_sites(edited, stored)
    except SiteValidationError as exc:
        problems = exc.problems

save_col, discard_col, status_col = st.columns([1, 1, 4], vertical_alignment="center")
save = save_col.button("Save changes", type="primary", disabled=not has_changes or bool(problems))
if discard_col.button("Discard changes", disabled=not has_changes):
    discard_edits()
    st.rerun()
if not has_changes:
    status_col.caption(f"{len(stored_sites)} sites saved in {md_escape(store.path_or_url)}.")
elif problems:
    status_col.caption("Fix the problems below to save.")
else:
    status_col.caption("All edited rows pass the checks.")

if has_changes and moved_on:
    st.warning(
        "Since you started editing, another session saved or deleted "
        + ", ".join(md_escape(repr(i)) for i in moved_on)
        + ". Saving your edits to those sites will be refused; discard your changes to reload "
        "the inventory, then edit again."
    )

if problems:
    st.error(
        f"{len(problems)} problem{'s' if len(problems) != 1 else ''} in the edited table "
        "(rows counted from 1 at the top of the table); nothing has been saved."
    )
    st.dataframe(problems_frame(problems), hide_index=True, width="stretch")

if save and has_changes and not problems:
    kept_ids = {s.id for s in new_sites}
    deleted = [i for i in stored if i not in kept_ids]
    changed = [s for s in new_sites if stored.get(s.id) != s]
    try:
        # One transaction, each row against the version of the copy its edit started from (0 =
        # new): a site another session saved since is refused and nothing at all is written.
        store.apply_changes(
            [(site, versions.get(site.id, 0)) for site in changed],
            deletes=[(site_id, versions[site_id]) for site_id in deleted],
            user=access.user,
        )
    except StaleSiteError as exc:
        st.error(
            f"Nothing was saved: site {md_escape(repr(exc.site_id))} was changed by another "
            f'session after you started editing ({safe_message(exc)}). Press "Discard and '
            'reload" to load the current inventory, then make your edits again.'
        )
        # A callback: it runs on the click's rerun, where this branch is not drawn again.
        st.button("Discard and reload", key="inventory_reload", on_click=discard_edits)
    except SiteValidationError as exc:
        st.error("Nothing was saved: some rows break the inventory rules.")
        st.dataframe(problems_frame(exc.problems), hide_index=True, width="stretch")
    except Exception as exc:  # never a traceback: say what failed, in words
        st.error(f"Nothing was saved: the changes could not be written. {safe_message(exc)}")
    else:
        discard_edits()
        st.session_state["inventory_flash"] = (
            f"Saved: {len(changed)} site{'s' if len(changed) != 1 else ''} added or changed, "
            f"{len(deleted)} deleted."
        )
        st.rerun()

# --- Add a site -------------------------------------------------------------------------------------
ADD_PREFIX = "add_site_"
_YES_NO = {"unknown": None, "yes": True, "no": False}
_CHOICES: dict[str, list[str]] = {
    "grid_region": list(GRID_REGIONS),
    "contract_type": list(CONTRACT_TYPES),
    "water_availability": ["unknown", *WATER_AVAILABILITY],
}


def _form_input(container, field) -> object:  # noqa: ANN001
    """One form widget; returns its value (None when blank or "unknown")."""
    key = ADD_PREFIX + field.column
    label = field.shown_label
    if field.kind == "text":
        return container.text_input(label, key=key, help=field.help, max_chars=5_000)
    if field.kind == "number":
        return container.number_input(label, value=None, key=key, help=field.help, format="%g")
    if field.kind == "yes_no":
        return _YES_NO[container.selectbox(label, list(_YES_NO), key=key, help=field.help)]
    options = _CHOICES[field.column]
    if field.required:
        return container.selectbox(
            label, options, index=None, key=key, help=field.help, placeholder="choose one"
        )
    picked = container.selectbox(label, options, key=key, help=field.help)
    return None if picked == "unknown" else picked


st.subheader("Add a site")
st.caption(
    "The facts a site cannot be valued without are required. Every other field may be left "
    "blank: a blank is unknown, and the valuation then assumes the conservative case (no "
    "substation headroom, fiber far away, a hot climate, the region's power price), which the "
    "site page lists. Nothing is saved unless every field passes the checks."
)
with st.form("add_site_form"):
    left, right = st.columns(2)
    form_values: dict[str, object] = {}
    for i, form_field in enumerate(REQUIRED_FIELDS):
        form_values[form_field.column] = _form_input(left if i % 2 == 0 else right, form_field)
    st.markdown("**Optional**")  # each label says what a blank means
    o_left, o_right = st.columns(2)
    for i, form_field in enumerate(OPTIONAL_FIELDS):
        form_values[form_field.column] = _form_input(o_left if i % 2 == 0 else o_right, form_field)
    add = st.form_submit_button("Add site", type="primary")

if add:
    try:
        new_site = site_from_form(form_values, existing_ids=set(current_versions))
        store.save(new_site, expected_version=0, user=access.user)
    except SiteValidationError as exc:
        n = len(exc.problems)
        st.error(f"The site was not added: {n} problem{'s' if n != 1 else ''}. Nothing was saved.")
        for line in form_problems(exc.problems):
            st.text(line)  # user text (the values typed) shown as text
    except StaleSiteError as exc:
        st.error(f"The site was not added: {safe_message(exc)}")
    except Exception as exc:  # never a traceback: say what failed, in words
        st.error(f"The site was not added: it could not be written. {safe_message(exc)}")
    else:
        discard_edits()
        st.session_state["inventory_flash"] = (
            f"Added site {md_escape(new_site.id)} ({md_escape(new_site.name)})."
        )
        st.rerun()

# --- Import -----------------------------------------------------------------------------------------
st.subheader("Import a file")
st.caption(
    "Upload a CSV or Excel file with the template's columns. Rows whose id is already in the "
    "inventory update that site: a blank cell, or a column left out, keeps the stored value in "
    "every column; write (clear) to empty a text, date or fleet cell or to make a figure that may "
    "be unknown (land, contract price, substation, building area, fiber, climate, water) "
    "unknown. New sites must give latitude, longitude and grid_region; their blank figures are "
    "unknown and valued conservatively. Rows whose id starts with # (the template's units and "
    "example rows) are skipped. A file with any problem is refused whole, with the list "
    f"of problems. At most {MAX_FILE_BYTES // (1024 * 1024)} MB and {MAX_DATA_ROWS:,} rows a file."
)
upload = st.file_uploader("Site file (.csv or .xlsx)", type=["csv", "xlsx"], key="inventory_upload")


def import_upload(upload) -> None:
    """Import an uploaded file into the store; every failure is a message, never a traceback."""
    shown_name = md_escape(upload.name)
    if upload.size > MAX_FILE_BYTES:
        st.error(
            f"{shown_name} was refused: it is {upload.size / 1e6:,.1f} MB; an import takes at most "
            f"{MAX_FILE_BYTES // (1024 * 1024)} MB ({MAX_DATA_ROWS:,} rows). Split the file."
        )
        return
    suffix = Path(upload.name).suffix.lower()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"upload{suffix}"
        path.write_bytes(upload.getvalue())
        try:
            report = store.import_file(path, name=upload.name, user=access.user)
        except SiteValidationError as exc:
            st.error(
                f"{shown_name} was refused: {len(exc.problems)} "
                f"problem{'s' if len(exc.problems) != 1 else ''} (rows counted as in the file, "
                "header = row 1). Nothing was imported."
            )
            st.dataframe(problems_frame(exc.problems), hide_index=True, width="stretch")
            return
        except StaleSiteError as exc:
            st.error(
                f"{shown_name} was not imported: {safe_message(exc)} Import the file again to "
                "merge it onto the current inventory."
            )
            return
        except Exception as exc:  # never a traceback: say what failed, in words
            st.error(f"{shown_name} could not be imported: {safe_message(exc)}")
            return
    st.session_state["inventory_flash"] = f"{shown_name}: {md_escape(report)}."
    discard_edits()
    st.rerun()


if upload is not None and st.button("Import file", type="primary"):
    import_upload(upload)

downloads(stored_sites)

# --- History ----------------------------------------------------------------------------------------
st.subheader("History")
st.caption(
    "Every save, delete, import and restore, with its time, who made it and the row before and "
    "after. Restoring saves that version again as a new version (the restore is recorded too)."
)
try:
    history_ids = store.history_site_ids()
except Exception as exc:
    st.error(f"The history could not be read: {safe_message(exc)}")
    st.stop()
if not history_ids:
    st.info("No change has been recorded yet.")
    st.stop()
history_id = st.selectbox("Site", history_ids, key="inventory_history_site")
entries = store.history(history_id)
st.dataframe(
    pd.DataFrame(
        [
            {
                "entry": e.entry_id,
                "time (UTC)": e.at.strftime("%Y-%m-%d %H:%M:%S"),
                "user": e.user,
                "action": e.action,
                "version before": e.version_before,
                "version after": e.version_after,
                "name after": e.after.name if e.after is not None else "(deleted)",
            }
            for e in entries
        ]
    ),
    hide_index=True,
    width="stretch",
)
restorable = {e.entry_id: e for e in entries}
pick_col, restore_col = st.columns([3, 1], vertical_alignment="bottom")
entry_id = pick_col.selectbox(
    "Version to restore",
    list(restorable),
    format_func=lambda i: (
        f"entry {i}: {restorable[i].action} by {restorable[i].user} at "
        f"{restorable[i].at:%Y-%m-%d %H:%M:%S} UTC"
    ),
    key="inventory_history_entry",
)
if restore_col.button("Restore this version", key="inventory_restore"):
    try:
        store.restore(history_id, entry_id, current_versions.get(history_id, 0), user=access.user)
    except SiteValidationError as exc:
        st.error("That version breaks today's inventory rules; it was not restored.")
        st.dataframe(problems_frame(exc.problems), hide_index=True, width="stretch")
    except Exception as exc:
        st.error(f"Nothing was restored: {safe_message(exc)}")
    else:
        discard_edits()
        st.session_state["inventory_flash"] = (
            f"Restored {md_escape(history_id)} as it was in entry {entry_id}."
        )
        st.rerun()
