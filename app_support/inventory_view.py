"""The inventory as a flat table for ``st.data_editor`` and back, through the library's own record
layout (``sites.schema.to_record``) and parser (``sites.io.parse_sites``, which validates)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import date

import pandas as pd

from sites.io import parse_sites
from sites.schema import COLUMN_KINDS, SITE_COLUMNS, Site, fleet_to_text, to_record


def sites_frame(sites: Sequence[Site]) -> pd.DataFrame:
    """One row per site, one column per flat field (``SITE_COLUMNS``); the fleet as text."""
    records = []
    for site in sites:
        rec = to_record(site)
        rec["fleet"] = fleet_to_text(site.facility.fleet)
        records.append(rec)
    frame = pd.DataFrame(records, columns=list(SITE_COLUMNS))
    for column, kind in COLUMN_KINDS.items():
        if kind == "date":
            frame[column] = pd.to_datetime(frame[column]).dt.date
        elif kind in ("bool", "optional_bool"):
            frame[column] = frame[column].astype("boolean")  # <NA> = unknown
        elif kind == "optional_float":
            frame[column] = frame[column].astype(float)  # NaN = unknown (a blank cell)
        elif kind == "optional_int":
            frame[column] = frame[column].astype("Int64")  # whole numbers with blanks
    return frame


def _cell(value: object) -> object:
    """An editor cell as the file parser expects it: blanks (None, nan, NaT, <NA>) become None."""
    if value is None or value is pd.NaT or value is pd.NA:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, pd.Timestamp):
        return value.date()
    if hasattr(value, "item") and not isinstance(value, str):
        return value.item()  # numpy scalar -> Python scalar
    return value


def frame_to_sites(
    frame: pd.DataFrame, stored: Mapping[str, Site], *, today: date | None = None
) -> list[Site]:
    """Parse and validate an edited table; rows are numbered 1.. as the editor shows them.

    The editor shows every stored value, so an emptied text or date cell clears it and an emptied
    number or choice cell is refused; text is taken as typed (no formula un-neutralising, which is
    for files only). Only rows that differ from ``stored`` (the copy the edit started from) are
    checked against the per-site rules, so an untouched row never blocks a save. Raises
    ``sites.SiteValidationError`` listing every problem (row, column, value, rule).
    """
    header = [str(c) for c in frame.columns]
    rows = [
        (i + 1, {col: _cell(v) for col, v in zip(header, values, strict=True)})
        for i, values in enumerate(frame.itertuples(index=False, name=None))
    ]
    return parse_sites(
        header, rows, base=stored, today=today, blank="clear", from_file=False, validate="changed"
    )
