"""The site inventory: schema, validation, database store, CSV/Excel import and export, the bundled
example portfolio, geography and AI-hosting readiness."""

from sites.errors import (
    Problem,
    ScenarioNotFoundError,
    SchemaVersionError,
    SiteFileError,
    SiteNotFoundError,
    SitesError,
    SiteValidationError,
    StaleSiteError,
)
from sites.portfolio import load_example_portfolio
from sites.schema import SITE_COLUMNS, Site
from sites.validation import validate_site, validate_sites

__all__ = [
    "SITE_COLUMNS",
    "Problem",
    "ScenarioNotFoundError",
    "SchemaVersionError",
    "Site",
    "SiteFileError",
    "SiteNotFoundError",
    "SiteValidationError",
    "SitesError",
    "StaleSiteError",
    "load_example_portfolio",
    "validate_site",
    "validate_sites",
]
