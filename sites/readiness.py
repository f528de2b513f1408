"""AI-hosting readiness: a 0-100 score per site with its breakdown per factor, and site archetypes.

Each factor maps a site fact to a factor score in [0, 1] (formulas below); the readiness score is
100 x sum(weight x factor score) / sum(weights). Weights are inputs (``ReadinessWeights``); the
defaults put power first because a tenant's first questions are firm MW and when it is energized
(hosting deals 2024-26 were all 100+ MW of critical IT with energization dates; fact sheet compiled
2026-11-29), then the network, climate, water and land an AI campus needs.

Factor scores (all clipped to [0, 1]):
- firm_power: firm gross MW / 300 MW (the announced conversion deals run 168-526 MW of critical
  IT, i.e. about 200-600 MW gross, so 300 MW gross firm scores full marks).
- time_to_power: 1 - (MW-weighted mean months to power) / 48 months, where energized MW count 0
  months, contracted-not-energized MW 24 months (CBRE H1 2023: Dallas substation delivery 24-30
  months) and queued MW the months to their expected energization date (48 when unknown; JLL 2026:
  grid connections take up to 4 years in some markets).
- substation_headroom: (capacity MVA x 0.95 power factor - contracted MW) / 100 MW.
- fiber: half from distance to long-haul fiber (1 - km / 50), half from carriers (count / 3).
- latency: 1 - round-trip time / 10 ms, with RTT = 2 x distance x 1.5 route factor / 200 km per ms
  (light in fibre covers about 200 km per ms); 10 ms is a common latency bound for inference.
- climate: (45 - design dry-bulb C) / 20: full marks at 25 C or cooler, none at 45 C (dry coolers
  reject heat from 30-40 C facility water, ASHRAE TC 9.9 liquid-cooling classes W32-W45).
- water: none 0, limited 0.5, ample 1.
- land: total land (owned + leased + expansion acres) / acres an AI campus needs for the firm MW:
  firm MW x 5,000 sq ft per MW (Sabre56, Sep 2024) / 43,560 sq ft per acre / 0.35 site coverage.

Unknown facts (None, ``sites.unknowns``) score at the conservative end: unknown substation
capacity is no headroom (score 0), unknown fiber distance the far case (50 km, that half scores 0),
unknown carriers 0, unknown design dry-bulb ``CLIMATE_WORST_C`` (score 0), unknown water "none"
(score 0), unknown acres 0 (an unknown part of the land adds nothing). An unknown queue
energization date already counts 48 months (above).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import date

import numpy as np
import pandas as pd

from sites.errors import SitesError
from sites.schema import Site
from sites.unknowns import resolve_unknowns

FACTORS: tuple[str, ...] = (
    "firm_power",
    "time_to_power",
    "substation_headroom",
    "fiber",
    "latency",
    "climate",
    "water",
    "land",
)
FACTOR_UNITS: dict[str, str] = {
    "firm_power": "firm MW (gross)",
    "time_to_power": "months to power (MW-weighted)",
    "substation_headroom": "MW of substation headroom",
    "fiber": "km to long-haul fiber",
    "latency": "ms round trip to the nearest metro or IX",
    "climate": "design dry-bulb C",
    "water": "water availability (0 none, 0.5 limited, 1 ample)",
    "land": "acres held / acres needed",
}
FULL_SCORE_FIRM_MW = 300.0
CONTRACTED_NOT_ENERGIZED_MONTHS = 24.0
MAX_MONTHS_TO_POWER = 48.0
POWER_FACTOR = 0.95
FULL_SCORE_HEADROOM_MW = 100.0
FULL_SCORE_FIBER_KM = 50.0
FULL_SCORE_CARRIERS = 3.0
FIBER_ROUTE_FACTOR = 1.5
FIBER_KM_PER_MS = 200.0
MAX_RTT_MS = 10.0
CLIMATE_BEST_C = 25.0
CLIMATE_WORST_C = 45.0
WATER_SCORES: dict[str, float] = {"none": 0.0, "limited": 0.5, "ample": 1.0}
AI_SQFT_PER_MW = 5_000.0
SQFT_PER_ACRE = 43_560.0
SITE_COVERAGE = 0.35


class ReadinessError(SitesError, ValueError):
    """Bad readiness input (negative weights, unknown factor, too few sites to cluster)."""


@dataclass(frozen=True)
class ReadinessWeights:
    """Weight of each factor in the readiness score (any non-negative numbers; normalised)."""

    firm_power: float = 25.0
    time_to_power: float = 20.0
    substation_headroom: float = 10.0
    fiber: float = 10.0
    latency: float = 10.0
    climate: float = 10.0
    water: float = 5.0
    land: float = 10.0

    def as_array(self) -> np.ndarray:
        """Weights in FACTORS order, checked."""
        w = np.array([getattr(self, f) for f in FACTORS], dtype=float)
        for f, v in zip(FACTORS, w, strict=True):
            if not np.isfinite(v) or v < 0:
                raise ReadinessError(f"weight {f} = {v!r}: must be a finite number >= 0")
        if w.sum() <= 0:
            raise ReadinessError(f"weights = {asdict(self)!r}: at least one must be positive")
        return w


@dataclass(frozen=True)
class Readiness:
    """A site's readiness score (0-100) and its breakdown, one row per factor: factor, value,
    unit, factor_score (0-1), weight, points (the factor's contribution to the score)."""

    site_id: str
    score: float
    breakdown: pd.DataFrame = field(repr=False)


def _months_between(start: date, end: date) -> float:
    return (
        (end.year - start.year) * 12 + (end.month - start.month) + (end.day - start.day) / 30.4375
    )


def factor_table(
    sites: Sequence[Site], *, today: date | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Raw factor values and factor scores, both shaped (n_sites, n_factors) in FACTORS order."""
    today = date.today() if today is None else today
    # Unknown climate scores 0 here (the hottest end of the scale), harsher than the retrofit's
    # hot-climate assumption; every other unknown takes its sites.unknowns value.
    dry_known = [s.connectivity.design_dry_bulb_c for s in sites]
    sites = [resolve_unknowns(s) for s in sites]

    def arr(get) -> np.ndarray:  # noqa: ANN001
        return np.array([get(s) for s in sites], dtype=float)

    contracted = arr(lambda s: s.power.contracted_mw)
    energized = arr(lambda s: s.power.energized_mw)
    queue = arr(lambda s: s.power.queue_mw)
    queue_months = arr(
        lambda s: (
            MAX_MONTHS_TO_POWER
            if s.power.queue_energization_date is None
            else max(0.0, _months_between(today, s.power.queue_energization_date))
        )
    )
    firm = arr(lambda s: s.firm_mw)
    capacity = arr(lambda s: s.substation.capacity_mva)
    fiber_km = arr(lambda s: s.connectivity.fiber_distance_km)
    carriers = arr(lambda s: s.connectivity.carrier_count)
    metro_km = arr(lambda s: s.connectivity.metro_distance_km)
    dry_bulb = np.array(
        [CLIMATE_WORST_C if d is None else d for d in dry_known], dtype=float
    ).reshape(len(sites))
    water = arr(lambda s: WATER_SCORES.get(s.connectivity.water_availability, 0.0))
    acres = arr(lambda s: s.land.acres_owned + s.land.acres_leased + s.land.acres_expansion)

    total_mw = contracted + queue
    pending = np.maximum(contracted - energized, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        months = np.where(
            total_mw > 0,
            (
                pending * CONTRACTED_NOT_ENERGIZED_MONTHS
                + queue * np.minimum(queue_months, MAX_MONTHS_TO_POWER)
            )
            / np.where(total_mw > 0, total_mw, 1.0),
            MAX_MONTHS_TO_POWER,
        )
    headroom = capacity * POWER_FACTOR - contracted
    rtt_ms = 2.0 * metro_km * FIBER_ROUTE_FACTOR / FIBER_KM_PER_MS
    needed_acres = firm * AI_SQFT_PER_MW / SQFT_PER_ACRE / SITE_COVERAGE
    land_ratio = np.where(
        needed_acres > 0, acres / np.where(needed_acres > 0, needed_acres, 1.0), 0.0
    )

    values = np.stack(
        [firm, months, headroom, fiber_km, rtt_ms, dry_bulb, water, land_ratio], axis=-1
    )
    scores = np.stack(
        [
            firm / FULL_SCORE_FIRM_MW,
            1.0 - months / MAX_MONTHS_TO_POWER,
            headroom / FULL_SCORE_HEADROOM_MW,
            0.5 * np.clip(1.0 - fiber_km / FULL_SCORE_FIBER_KM, 0, 1)
            + 0.5 * np.clip(carriers / FULL_SCORE_CARRIERS, 0, 1),
            1.0 - rtt_ms / MAX_RTT_MS,
            (CLIMATE_WORST_C - dry_bulb) / (CLIMATE_WORST_C - CLIMATE_BEST_C),
            water,
            land_ratio,
        ],
        axis=-1,
    )
    return values.reshape(len(sites), len(FACTORS)), np.clip(scores, 0.0, 1.0).reshape(
        len(sites), len(FACTORS)
    )


def readiness_table(
    sites: Sequence[Site], weights: ReadinessWeights | None = None, *, today: date | None = None
) -> pd.DataFrame:
    """One row per site: site_id, readiness_score (0-100) and each factor's points."""
    w = (weights or ReadinessWeights()).as_array()
    _, scores = factor_table(sites, today=today)
    points = scores * w / w.sum() * 100.0
    df = pd.DataFrame(points, columns=[f"{f}_points" for f in FACTORS])
    df.insert(0, "readiness_score", points.sum(axis=1))
    df.insert(0, "site_id", [s.id for s in sites])
    return df


def readiness(
    site: Site, weights: ReadinessWeights | None = None, *, today: date | None = None
) -> Readiness:
    """The readiness score of one site, 0-100, and its per-factor breakdown."""
    w = (weights or ReadinessWeights()).as_array()
    values, scores = factor_table([site], today=today)
    points = scores[0] * w / w.sum() * 100.0
    breakdown = pd.DataFrame(
        {
            "factor": list(FACTORS),
            "value": values[0],
            "unit": [FACTOR_UNITS[f] for f in FACTORS],
            "factor_score": scores[0],
            "weight": w,
            "points": points,
        }
    )
    return Readiness(site.id, float(points.sum()), breakdown)


ARCHETYPE_FEATURES: tuple[str, ...] = (
    "firm_mw",
    "months_to_power",
    "metro_rtt_ms",
    "design_dry_bulb_c",
    "land_ratio",
)


def archetypes(
    sites: Sequence[Site],
    n_archetypes: int = 4,
    *,
    random_state: int = 0,
    today: date | None = None,
) -> pd.DataFrame:
    """Cluster sites into archetypes for the map: KMeans on standardised features.

    Features: firm MW, months to power, round trip to the nearest metro (ms), design dry-bulb (C)
    and land held / needed; each scaled to zero mean and unit variance (StandardScaler) so no unit
    dominates. Returns one row per site: site_id, archetype (0..k-1, ordered by mean firm MW, largest
    first), label (a short description of the cluster centre against the portfolio median) and the
    features.
    """
    from sklearn.cluster import KMeans
    from sklearn.preprocessing import StandardScaler

    n = len(sites)
    if not 1 <= n_archetypes <= n:
        raise ReadinessError(
            f"n_archetypes = {n_archetypes}: must be between 1 and the number of sites ({n})"
        )
    values, _ = factor_table(sites, today=today)
    idx = [FACTORS.index(f) for f in ("firm_power", "time_to_power", "latency", "climate", "land")]
    feats = values[:, idx]
    scaled = StandardScaler().fit_transform(feats)
    km = KMeans(n_clusters=n_archetypes, n_init=10, random_state=random_state).fit(scaled)
    raw = km.labels_
    # Stable, meaningful numbering: archetype 0 has the most firm power on average.
    mean_firm = np.array([feats[raw == k, 0].mean() for k in range(n_archetypes)])
    order = np.argsort(-mean_firm, kind="stable")
    rank = np.empty_like(order)
    rank[order] = np.arange(n_archetypes)
    labels_num = rank[raw]
    median = np.median(feats, axis=0)
    names = {}
    for k in range(n_archetypes):
        centre = feats[labels_num == k].mean(axis=0)
        parts = [
            "large firm power" if centre[0] >= median[0] else "smaller firm power",
            "power soon" if centre[1] <= median[1] else "power later",
            "near a metro" if centre[2] <= median[2] else "remote",
            "cool" if centre[3] <= median[3] else "hot",
        ]
        names[k] = ", ".join(parts)
    counts = Counter(names.values())
    for k in range(n_archetypes):  # two clusters can share a description: number them apart
        if counts[names[k]] > 1:
            names[k] = f"{names[k]} ({k + 1})"
    df = pd.DataFrame(feats, columns=list(ARCHETYPE_FEATURES))
    df.insert(0, "label", [names[k] for k in labels_num])
    df.insert(0, "archetype", labels_num.astype(int))
    df.insert(0, "site_id", [s.id for s in sites])
    return df
