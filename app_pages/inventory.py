"""Inventory: the sites in the store, editable in place with validation messages per row and cell,
add and delete, CSV/Excel import listing every problem when a file is refused, and downloads of the
inventory and of an empty template."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pandas as pd
import streamlit as st

from app_support import loaders
from app_support.inventory_view import frame_to_sites, sites_frame
from sites.errors import SitesError, SiteValidationError
from sites.io import COLUMN_HELP, export_bytes, template_bytes
from sites.schema import COLUMN_KINDS, SITE_COLUMNS
from sites.validation import CHOICE_COLUMNS

EDITOR_KEY = "inventory_editor"

st.title("Inventory")
st.caption(
    "Every site Hashpivot values. Edit cells, add rows at the bottom or delete selected rows, then "
    "save: nothing is written until every row passes the checks. Power is gross MW at the meter."
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


try:
    store = loaders.store()
    with_versions = store.list_with_versions()
except SitesError as exc:
    st.error(f"The site inventory could not be read: {exc}")
    st.stop()
stored_sites = [site for site, _ in with_versions]
stored = {site.id: site for site in stored_sites}
versions = {site.id: version for site, version in with_versions}

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
    elif kind == "bool":
        column_config[column] = st.column_config.CheckboxColumn(label, help=help_text)
    elif kind == "date":
        column_config[column] = st.column_config.DateColumn(label, help=help_text)
    elif kind in ("float", "int"):
        column_config[column] = st.column_config.NumberColumn(
            label, help=help_text, format="%d" if kind == "int" else None
        )
    else:
        column_config[column] = st.column_config.TextColumn(label, help=help_text)
column_config["id"] = st.column_config.TextColumn("id", help=COLUMN_HELP["id"], pinned=True)
column_config["name"] = st.column_config.TextColumn("name", help=COLUMN_HELP["name"], pinned=True)

original = sites_frame(stored_sites)
edited = st.data_editor(
    original,
    num_rows="dynamic",
    hide_index=True,
    width="stretch",
    height=420,
    column_config=column_config,
    key=EDITOR_KEY,
)

changes = st.session_state.get(EDITOR_KEY, {})
has_changes = bool(
    changes.get("edited_rows") or changes.get("added_rows") or changes.get("deleted_rows")
)
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
    st.session_state.pop(EDITOR_KEY, None)
    st.rerun()
if not has_changes:
    status_col.caption(f"{len(stored_sites)} sites saved in {store.path_or_url}.")
elif problems:
    status_col.caption("Fix the problems below to save.")
else:
    status_col.caption("All edited rows pass the checks.")

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
        # One transaction, each row against the version its edit started from (0 = new): another
        # session's save is not overwritten silently, and a refused save writes nothing.
        store.apply_changes(
            [(site, versions.get(site.id, 0)) for site in changed],
            deletes=[(site_id, versions[site_id]) for site_id in deleted],
        )
    except (SitesError, ValueError) as exc:
        st.error(f"The changes could not be saved: {exc}")
    else:
        st.session_state.pop(EDITOR_KEY, None)
        st.session_state["inventory_flash"] = (
            f"Saved: {len(changed)} site{'s' if len(changed) != 1 else ''} added or changed, "
            f"{len(deleted)} deleted."
        )
        st.rerun()

# --- Import -----------------------------------------------------------------------------------------
st.subheader("Import a file")
st.caption(
    "Upload a CSV or Excel file with the template's columns. Rows whose id is already in the "
    "inventory update that site; blank cells keep the stored value. A file with any problem is "
    "refused whole, with the list of problems."
)
upload = st.file_uploader("Site file (.csv or .xlsx)", type=["csv", "xlsx"], key="inventory_upload")
if upload is not None and st.button("Import file", type="primary"):
    suffix = Path(upload.name).suffix.lower()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"upload{suffix}"
        path.write_bytes(upload.getvalue())
        try:
            report = store.import_file(path)
        except SiteValidationError as exc:
            st.error(
                f"{upload.name} was refused: {len(exc.problems)} "
                f"problem{'s' if len(exc.problems) != 1 else ''} (rows counted as in the file, "
                "header = row 1). Nothing was imported."
            )
            st.dataframe(problems_frame(exc.problems), hide_index=True, width="stretch")
        except (SitesError, ValueError) as exc:
            st.error(f"{upload.name} could not be imported: {exc}")
        else:
            st.session_state["inventory_flash"] = f"{upload.name}: {report}."
            st.session_state.pop(EDITOR_KEY, None)
            st.rerun()

# --- Downloads --------------------------------------------------------------------------------------
st.subheader("Download")
d1, d2, d3, d4 = st.columns(4)
d1.download_button(
    "Inventory (.xlsx)",
    export_bytes(stored_sites, "xlsx"),
    file_name="hashpivot-sites.xlsx",
    mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    on_click="ignore",
)
d2.download_button(
    "Inventory (.csv)",
    export_bytes(stored_sites, "csv"),
    file_name="hashpivot-sites.csv",
    mime="text/csv",
    on_click="ignore",
)
d3.download_button(
    "Empty template (.xlsx)",
    template_bytes("xlsx"),
    file_name="hashpivot-sites-template.xlsx",
    mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    on_click="ignore",
)
d4.download_button(
    "Empty template (.csv)",
    template_bytes("csv"),
    file_name="hashpivot-sites-template.csv",
    mime="text/csv",
    on_click="ignore",
)
