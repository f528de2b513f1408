"""What the page tests share: a store of example sites, a metric's value by its label, and the
text a reader sees of escaped Markdown."""

from __future__ import annotations

import re
from collections.abc import Iterable

from streamlit.testing.v1 import AppTest

from sites.schema import Site
from sites.store import SiteStore


def store_with(db_url: str, sites: Iterable[Site]) -> SiteStore:
    """A store at ``db_url`` (no seeding) holding ``sites``."""
    store = SiteStore(db_url, seed=False)
    for site in sites:
        store.save(site)
    return store


def metric_value(at: AppTest, label: str) -> str:
    """The value of the metric labelled ``label``; fails naming the labels shown."""
    for metric in at.metric:
        if metric.label == label:
            return metric.value
    raise AssertionError(f"no metric {label!r}; shown: {[m.label for m in at.metric]}")


def as_seen(markdown: str) -> str:
    """What the reader sees of a Markdown body whose user text was escaped (``md_escape``)."""
    # the escapes read and the invisible word joiners (no autolink) gone
    return re.sub(r"\\(.)", r"\1", markdown).replace("\u2060", "")
