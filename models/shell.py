"""Shell, site works, controls and security line items.

Building area needed (m2) = racks x 3.0 m2 per rack (white space) + 350 m2 per MW of critical IT
(support space); see ``models.costs``. When the target reuses buildings, existing area up to the
need is hardened and refitted at the reuse price; any shortfall is new build. Shell is MACRS
class 39 (nonresidential real property); white-space fit-out, site works (land improvements),
controls and security are class 15.
"""

from __future__ import annotations

from models.costs import (
    SUPPORT_SPACE_M2_PER_MW,
    UNIT_COSTS,
    WHITE_SPACE_M2_PER_RACK,
    LineItem,
    line_item,
)
from models.targets import RetrofitTarget
from sites.schema import Site
from sites.unknowns import known, resolve_unknowns


def building_area_needed_m2(target: RetrofitTarget) -> float:
    """Gross building area, m2 = racks x 3.0 + critical IT MW x 350."""
    return (
        target.rack_count * WHITE_SPACE_M2_PER_RACK
        + target.critical_it_mw * SUPPORT_SPACE_M2_PER_MW
    )


def shell_line_items(site: Site, target: RetrofitTarget) -> list[LineItem]:
    """Shell (reuse and harden, or new build), white space, site works, controls, security.

    An unknown building area reuses no building (``sites.unknowns``): the whole shell is new."""
    site = resolve_unknowns(site)
    area_m2 = known(site.facility.building_area_m2, "building_area_m2")
    it_mw = target.critical_it_mw
    need_m2 = building_area_needed_m2(target)
    area_txt = (
        f"{target.rack_count:.1f} racks x {WHITE_SPACE_M2_PER_RACK:g} m2 + {it_mw:.2f} MW x "
        f"{SUPPORT_SPACE_M2_PER_MW:g} m2 = {need_m2:,.0f} m2 needed"
    )
    reused_m2 = min(need_m2, area_m2) if target.reuse_buildings else 0.0
    new_m2 = need_m2 - reused_m2
    items: list[LineItem] = []
    if reused_m2 > 0:
        items.append(
            line_item(
                "shell",
                "reuse and harden existing halls",
                "reuse_shell",
                reused_m2,
                f"{area_txt}; {reused_m2:,.0f} m2 reused",
                39,
            )
        )
    if new_m2 > 0:
        items.append(
            line_item(
                "shell",
                "new shell",
                "new_shell",
                new_m2,
                f"{area_txt}; {new_m2:,.0f} m2 new",
                39,
            )
        )
    items.append(
        line_item(
            "shell",
            "white-space fit-out (containment, fire suppression)",
            "white_space_fitout",
            it_mw,
            f"{it_mw:.2f} MW critical IT",
            15,
        )
    )
    # Site works follow the building: reused area keeps its pads and roads.
    reuse_share = reused_m2 / need_m2
    for key, share, label in (
        ("site_works_reuse", reuse_share, "site works (reused pads and roads)"),
        ("site_works_new", 1.0 - reuse_share, "site works (new pads, roads, drainage)"),
    ):
        if share > 0:
            items.append(
                line_item(
                    "site works",
                    label,
                    key,
                    it_mw * share,
                    f"{it_mw:.2f} MW critical IT x {share:.3f} of the area",
                    15,
                )
            )
    items.append(
        line_item(
            "controls and security",
            "controls (BMS, EPMS, DCIM)",
            "controls",
            it_mw,
            f"{it_mw:.2f} MW critical IT",
            15,
        )
    )
    site_cost = UNIT_COSTS["security_site"]
    per_mw = UNIT_COSTS["security_per_mw"]
    items.append(
        LineItem(
            "controls and security",
            "physical security",
            site_cost.low_usd + per_mw.low_usd * it_mw,
            site_cost.base_usd + per_mw.base_usd * it_mw,
            site_cost.high_usd + per_mw.high_usd * it_mw,
            f"${site_cost.base_usd:,.0f} per site + {it_mw:.2f} MW x ${per_mw.base_usd:,.0f} "
            f"per MW ({per_mw.basis})",
            15,
        )
    )
    return items
