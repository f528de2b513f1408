"""One class per grid region over ``valuation.regions.base.Region`` (as gridstatus has one per
ISO), and ``region_for`` mapping any accepted name (``sites.schema``) to its object."""

from __future__ import annotations

from datetime import date

from sites.schema import CANONICAL_GRID_REGIONS, GRID_REGIONS, canonical_grid_region
from valuation.power import (
    PriceDurationCurve,
    PriceSeries,
    ercot_sample_curve,
    synthetic_hourly_prices,
)
from valuation.regions.base import (
    DUCK_HOUR_SHAPE,
    FLAT_HOUR_SHAPE,
    Region,
    RegionError,
)
from valuation.regions.levers import CRYPTO_RIDER_LEVERS, ERCOT_LEVERS, SPP_LEVERS, PolicyLever
from valuation.regions.programs import (
    CAISO_TERMS,
    ERCOT_TERMS,
    ISONE_TERMS,
    NYISO_TERMS,
    SOUTHEAST_TERMS,
    SPP_TERMS,
    WEST_TERMS,
    ProgramTerms,
    miso_terms,
    pjm_terms,
)


def _as_of(as_of: date | None) -> date:
    return date.today() if as_of is None else as_of


class Ercot(Region):
    """ERCOT: energy-only market; the bundled 2024 hub-average sample and today's programs."""

    name, hub = "ERCOT", "ERCOT HB_HUBAVG"
    description = "Energy-only market with scarcity pricing; no capacity market; 4CP transmission."

    def hourly_prices(self, year: int = 2024, seed: int | None = None) -> PriceSeries:
        return (
            synthetic_hourly_prices(year) if seed is None else synthetic_hourly_prices(year, seed)
        )

    def price_curve(self, points: int = 744) -> PriceDurationCurve:
        return ercot_sample_curve(points)

    def program_terms(self, as_of: date | None = None) -> tuple[ProgramTerms, ...]:
        return ERCOT_TERMS

    def levers(self) -> tuple[PolicyLever, ...]:
        return ERCOT_LEVERS


class Pjm(Region):
    name, hub, seed = "PJM", "PJM real-time load-weighted LMP", 101
    description = (
        "Energy + RPM capacity market (BRA); load pays capacity on its 5CP peak load contribution."
    )

    def program_terms(self, as_of: date | None = None) -> tuple[ProgramTerms, ...]:
        return pjm_terms(_as_of(as_of))


class Miso(Region):
    name, hub, seed = "MISO", "MISO real-time LMP", 102
    description = (
        "Energy market + seasonal Planning Resource Auction (mostly self-supplied utilities)."
    )

    def program_terms(self, as_of: date | None = None) -> tuple[ProgramTerms, ...]:
        return miso_terms(_as_of(as_of))


class Spp(Region):
    name, hub, seed = "SPP", "SPP system real-time LMP", 103
    description = "Energy market with much wind; no centralised capacity market."

    def program_terms(self, as_of: date | None = None) -> tuple[ProgramTerms, ...]:
        return SPP_TERMS

    def levers(self) -> tuple[PolicyLever, ...]:
        return SPP_LEVERS


class Nyiso(Region):
    name, hub, seed = "NYISO", "NYISO Zone A (West) LBMP", 104
    description = (
        "Energy + ICAP capacity market (monthly spot auctions); SCR and EDRP demand response."
    )

    def program_terms(self, as_of: date | None = None) -> tuple[ProgramTerms, ...]:
        return NYISO_TERMS

    def levers(self) -> tuple[PolicyLever, ...]:
        return CRYPTO_RIDER_LEVERS


class Caiso(Region):
    name, hub, seed = "CAISO", "CAISO SP15", 105
    hour_shape = DUCK_HOUR_SHAPE
    description = "Energy market with a solar 'duck'; resource adequacy is bilateral (CPUC)."

    def program_terms(self, as_of: date | None = None) -> tuple[ProgramTerms, ...]:
        return CAISO_TERMS


class IsoNe(Region):
    name, hub, seed = "ISO-NE", "ISO-NE real-time (Hub)", 106
    description = "Energy + Forward Capacity Market with Pay-for-Performance."

    def program_terms(self, as_of: date | None = None) -> tuple[ProgramTerms, ...]:
        return ISONE_TERMS


class Southeast(Region):
    name, hub, seed, market = "Southeast", "utility tariff (no market)", 107, False
    hour_shape = FLAT_HOUR_SHAPE
    description = "Vertically integrated utilities (SERC outside MISO/PJM): energy under a tariff."

    def program_terms(self, as_of: date | None = None) -> tuple[ProgramTerms, ...]:
        return SOUTHEAST_TERMS


class West(Region):
    name, hub, seed, market = "West", "utility tariff (no market)", 108, False
    hour_shape = FLAT_HOUR_SHAPE
    description = "Utilities in the West outside CAISO (WECC): energy under a tariff."

    def program_terms(self, as_of: date | None = None) -> tuple[ProgramTerms, ...]:
        return WEST_TERMS


REGION_CLASSES: dict[str, type[Region]] = {
    cls.name: cls for cls in (Ercot, Pjm, Miso, Spp, Nyiso, Caiso, IsoNe, Southeast, West)
}
assert set(REGION_CLASSES) == set(CANONICAL_GRID_REGIONS)


def region_for(name: object) -> Region:
    """The region object for a canonical name or any alias (case-insensitive).

    Raises ``RegionError`` naming the value and the allowed names for anything else ("Mars").
    """
    try:
        canonical = canonical_grid_region(name)
    except ValueError:
        raise RegionError(
            f"grid_region={name!r} is not a known grid region; allowed: {', '.join(GRID_REGIONS)} "
            "(any case; aliases such as 'WECC non-ISO', 'SERC non-ISO', 'other')"
        ) from None
    return REGION_CLASSES[canonical]()


def all_regions() -> tuple[Region, ...]:
    """One object per canonical region, in ``sites.schema.CANONICAL_GRID_REGIONS`` order."""
    return tuple(REGION_CLASSES[n]() for n in CANONICAL_GRID_REGIONS)
