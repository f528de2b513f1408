"""Calibrate cost per MW to a company's own project history with quantile regression.

Input: a CSV (or DataFrame) of past builds with the columns in ``REQUIRED_COLUMNS``. The models
predict P10, P50 and P90 of ``cost_usd_per_critical_mw`` for a new project. The design columns
mean what they mean in ``RetrofitTarget``: ``reuse_buildings`` (the mining halls were reused),
``tier`` (Uptime-style "I" to "IV") and ``backup_generation`` (standby generators installed), so a
light retrofit is a reused, Tier I build without generators, not a meaning of ``reuse_buildings``.

Method: the target is modelled on a log scale (costs are multiplicative, and quantiles commute
with the monotone log, so exp(quantile of log cost) = quantile of cost). Features: log MW, rack
density, year, reuse of buildings, tier (as a level: I = -2 ... III = 0, IV = +1), backup
generation, one-hot cooling and region (first level as baseline; a level never seen in the
history falls on the baseline). Small histories (< ``LINEAR_MAX_ROWS`` rows) use
scikit-learn's linear ``QuantileRegressor`` (pinball loss, HiGHS solver); larger ones
``GradientBoostingRegressor(loss="quantile")``. Quality is reported honestly from K-fold
cross-validation: mean pinball loss per quantile (USD per MW) and the share of held-out projects
inside the P10-P90 band (80% if calibrated). With fewer than ``MIN_ROWS`` rows nothing is fitted:
the result says so and ``cost_per_mw_quantiles`` falls back to the engineering model
(low / base / high of ``estimate_retrofit``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, Final

import numpy as np
import pandas as pd
from sklearn.ensemble import GradientBoostingRegressor
from sklearn.linear_model import QuantileRegressor
from sklearn.metrics import mean_pinball_loss
from sklearn.model_selection import KFold

from models.errors import CalibrationError
from models.targets import COOLING_TECHNOLOGIES, TIERS, RetrofitTarget
from sites.schema import Site

REQUIRED_COLUMNS: Final = (
    "critical_it_mw",
    "rack_density_kw",
    "cooling",
    "reuse_buildings",
    "tier",
    "backup_generation",
    "region",
    "year",
    "cost_usd_per_critical_mw",
)
NUMERIC_COLUMNS: Final = ("critical_it_mw", "rack_density_kw", "year", "cost_usd_per_critical_mw")
QUANTILES: Final = (0.1, 0.5, 0.9)
MIN_ROWS: Final = 12  # fewer rows cannot support K-fold CV of a ~12-feature model
LINEAR_MAX_ROWS: Final = 200
METHODS: Final = ("auto", "linear_quantile", "gradient_boosting")
BOOL_COLUMNS: Final = ("reuse_buildings", "backup_generation")
# Row numbers in messages are as a spreadsheet shows the file: the header is row 1, so the first
# project is row 2 (the convention of the site files, ``sites.io``).
FIRST_DATA_ROW: Final = 2
# Warn when the cross-validated P10-P90 band holds a share of held-out projects this far from 80%.
COVERAGE_WARN_BELOW: Final = 0.7
COVERAGE_WARN_ABOVE: Final = 0.9
EXAMPLE_HISTORY_PATH: Final = Path(__file__).parent / "data" / "example_project_history.csv"

_TRUE = {"true", "1", "yes", "y", "t"}
_FALSE = {"false", "0", "no", "n", "f"}


def _choice_column(
    frame: pd.DataFrame, column: str, allowed: tuple[str, ...], *, upper: bool = False
) -> pd.Series:
    """The column's text, trimmed (and upper-cased for tiers); the first value outside
    ``allowed`` raises CalibrationError naming its row, column and the allowed values."""
    text = frame[column].astype(str).str.strip()
    if upper:
        text = text.str.upper()
    bad = ~text.isin(allowed)
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise CalibrationError(
            f"row {row + FIRST_DATA_ROW}, column {column}: value {frame[column].iloc[row]!r} "
            f"must be one of {', '.join(allowed)}"
        )
    return text


def load_history(source: str | Path | pd.DataFrame) -> pd.DataFrame:
    """Read and check a project history (CSV path or DataFrame); return a clean copy.

    Raises ``CalibrationError`` naming the missing columns, or the row, column and value of a bad
    cell (rows as a spreadsheet shows the file: header row 1, first project row 2).
    """
    if isinstance(source, pd.DataFrame):
        frame = source.copy()
    else:
        path = Path(source)
        if not path.is_file():
            raise CalibrationError(f"history file {str(path)!r}: not found")
        frame = pd.read_csv(path)
    missing = [c for c in REQUIRED_COLUMNS if c not in frame.columns]
    if missing:
        raise CalibrationError(
            f"project history is missing column(s) {', '.join(missing)}; required columns: "
            f"{', '.join(REQUIRED_COLUMNS)}"
        )
    frame = frame.loc[:, list(REQUIRED_COLUMNS)].reset_index(drop=True)
    for col in NUMERIC_COLUMNS:
        values = pd.to_numeric(frame[col], errors="coerce")
        bad = ~np.isfinite(values.to_numpy(dtype=float))
        if col != "year":
            bad |= values.to_numpy(dtype=float) <= 0
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            rule = "a finite number" if col == "year" else "a finite number greater than 0"
            raise CalibrationError(
                f"row {row + FIRST_DATA_ROW}, column {col}: value {frame[col].iloc[row]!r} "
                f"must be {rule}"
            )
        frame[col] = values.astype(float)
    frame["cooling"] = _choice_column(frame, "cooling", COOLING_TECHNOLOGIES)
    frame["tier"] = _choice_column(frame, "tier", TIERS, upper=True)
    for col in BOOL_COLUMNS:
        frame[col] = [_as_bool(v, i, col) for i, v in enumerate(frame[col])]
    frame["region"] = frame["region"].astype(str).str.strip()
    return frame


def _as_bool(value: object, row: int, column: str) -> bool:
    if isinstance(value, bool | np.bool_):
        return bool(value)
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise CalibrationError(
        f"row {row + FIRST_DATA_ROW}, column {column}: value {value!r} must be true/false (or 1/0)"
    )


@dataclass(frozen=True)
class _Encoder:
    """Design matrix from project features (fitted levels for the categorical columns)."""

    cooling_levels: tuple[str, ...]
    region_levels: tuple[str, ...]

    @classmethod
    def fit(cls, frame: pd.DataFrame) -> _Encoder:
        return cls(
            tuple(sorted(frame["cooling"].unique())), tuple(sorted(frame["region"].unique()))
        )

    def transform(self, frame: pd.DataFrame) -> np.ndarray:
        cols = [
            np.log(frame["critical_it_mw"].to_numpy(dtype=float)),
            frame["rack_density_kw"].to_numpy(dtype=float) / 100.0,
            frame["year"].to_numpy(dtype=float) - 2020.0,
            frame["reuse_buildings"].to_numpy(dtype=float),
            frame["tier"].map(TIERS.index).to_numpy(dtype=float) - TIERS.index("III"),
            frame["backup_generation"].to_numpy(dtype=float),
        ]
        cols += [(frame["cooling"] == lv).to_numpy(dtype=float) for lv in self.cooling_levels[1:]]
        cols += [(frame["region"] == lv).to_numpy(dtype=float) for lv in self.region_levels[1:]]
        return np.column_stack(cols)


def _make_model(
    method: str, quantile: float, seed: int
) -> QuantileRegressor | GradientBoostingRegressor:
    if method == "linear_quantile":
        return QuantileRegressor(quantile=quantile, alpha=1e-4, solver="highs")
    return GradientBoostingRegressor(
        loss="quantile",
        alpha=quantile,
        n_estimators=80,
        max_depth=2,
        learning_rate=0.1,
        min_samples_leaf=5,
        subsample=0.8,
        random_state=seed,
    )


def _fit_predict(
    method: str, seed: int, x_fit: np.ndarray, y_fit: np.ndarray, x_new: np.ndarray
) -> tuple[list[object], np.ndarray]:
    """Fit one model per quantile on log cost; return the models and sorted USD predictions."""
    models = [_make_model(method, q, seed).fit(x_fit, y_fit) for q in QUANTILES]
    pred = np.column_stack([m.predict(x_new) for m in models])
    return models, np.exp(np.sort(pred, axis=1))  # sort: quantile curves must not cross


@dataclass(frozen=True)
class CalibrationReport:
    """How well the calibrated model did, from K-fold cross-validation (USD per critical MW).

    cv_interval_coverage: share of held-out projects inside [P10, P90]; about 0.8 if calibrated.
    cv_median_abs_pct_error: median |P50 / actual - 1| of held-out projects.
    """

    n_rows: int
    method: str  # "linear_quantile", "gradient_boosting" or "engineering_fallback"
    fitted: bool
    cv_folds: int
    cv_pinball_loss_usd_per_mw: Mapping[float, float] = field(default_factory=dict)
    cv_interval_coverage: float = math.nan
    cv_median_abs_pct_error: float = math.nan
    message: str = ""


@dataclass(frozen=True)
class CostCalibration:
    """A fitted (or not) quantile cost model; use ``predict`` or ``cost_per_mw_quantiles``."""

    report: CalibrationReport
    _encoder: _Encoder | None = None
    _models: tuple[Any, ...] = ()  # fitted scikit-learn estimators (untyped)
    latest_year: float = math.nan

    @property
    def fitted(self) -> bool:
        """True when quantile models were fitted (enough rows)."""
        return self.report.fitted

    def predict(self, projects: pd.DataFrame) -> pd.DataFrame:
        """P10 / P50 / P90 cost per critical MW (USD) for projects with the feature columns.

        Columns: p10_usd_per_critical_mw, p50_usd_per_critical_mw, p90_usd_per_critical_mw.
        """
        if not self.fitted or self._encoder is None:
            raise CalibrationError(f"no calibrated model: {self.report.message}")
        frame = projects.copy()
        frame["cost_usd_per_critical_mw"] = 1.0  # placeholder so the checks can run
        frame = load_history(frame)
        x = self._encoder.transform(frame)
        pred = np.exp(np.sort(np.column_stack([m.predict(x) for m in self._models]), axis=1))
        return pd.DataFrame(
            pred,
            columns=[f"p{round(q * 100)}_usd_per_critical_mw" for q in QUANTILES],
            index=projects.index,
        )


def calibrate(
    history: str | Path | pd.DataFrame,
    *,
    method: str = "auto",
    n_splits: int = 5,
    seed: int = 0,
) -> CostCalibration:
    """Fit P10/P50/P90 models of cost per critical MW to a project history; report CV honestly.

    method: "auto" (linear quantile regression below ``LINEAR_MAX_ROWS`` rows, gradient boosting
    above), "linear_quantile" or "gradient_boosting". With fewer than ``MIN_ROWS`` rows returns
    an unfitted calibration whose message says why (the engineering model is then used).
    """
    if method not in METHODS:
        raise CalibrationError(f"method={method!r}: must be one of {', '.join(METHODS)}")
    if not (isinstance(n_splits, int) and n_splits >= 2):
        raise CalibrationError(f"n_splits={n_splits!r}: must be an integer >= 2")
    frame = load_history(history)
    n = len(frame)
    if n < MIN_ROWS:
        msg = (
            f"only {n} project(s) in the history; at least {MIN_ROWS} are needed to fit and "
            "cross-validate quantile models, so the engineering model is used instead"
        )
        return CostCalibration(CalibrationReport(n, "engineering_fallback", False, 0, message=msg))
    chosen = method
    if method == "auto":
        chosen = "linear_quantile" if n < LINEAR_MAX_ROWS else "gradient_boosting"
    y = np.log(frame["cost_usd_per_critical_mw"].to_numpy())
    folds = min(n_splits, n // 4)
    oof = np.empty((n, len(QUANTILES)))
    for train, test in KFold(folds, shuffle=True, random_state=seed).split(frame):
        encoder = _Encoder.fit(frame.iloc[train])
        _, oof[test] = _fit_predict(
            chosen,
            seed,
            encoder.transform(frame.iloc[train]),
            y[train],
            encoder.transform(frame.iloc[test]),
        )
    actual = np.exp(y)
    losses = {
        q: float(mean_pinball_loss(actual, oof[:, i], alpha=q)) for i, q in enumerate(QUANTILES)
    }
    coverage = float(np.mean((oof[:, 0] <= actual) & (actual <= oof[:, -1])))
    mape = float(np.median(np.abs(oof[:, 1] / actual - 1.0)))
    encoder = _Encoder.fit(frame)
    x = encoder.transform(frame)
    models, _ = _fit_predict(chosen, seed, x, y, x[:1])
    msg = (
        f"{chosen.replace('_', ' ')} fitted on {n} projects; {folds}-fold cross-validation: "
        f"P10-P90 band held {coverage:.0%} of held-out projects (80% if well calibrated), "
        f"median P50 error {mape:.1%}"
    )
    if coverage < COVERAGE_WARN_BELOW:
        msg += (
            "; warning: the P10-P90 band is too narrow (overconfident) for this history: treat "
            "P10 and P90 as too close to P50 until the history is larger"
        )
    elif coverage > COVERAGE_WARN_ABOVE:
        msg += "; warning: the P10-P90 band is too wide (underconfident) for this history"
    report = CalibrationReport(
        n, chosen, True, folds, MappingProxyType(losses), coverage, mape, msg
    )
    return CostCalibration(report, encoder, tuple(models), float(frame["year"].max()))


@dataclass(frozen=True)
class CostQuantiles:
    """P10 / P50 / P90 cost per critical MW (USD) and where they came from."""

    p10_usd_per_critical_mw: float
    p50_usd_per_critical_mw: float
    p90_usd_per_critical_mw: float
    source: str  # "calibrated" or "engineering model"
    message: str


def cost_per_mw_quantiles(
    calibration: CostCalibration | None,
    site: Site,
    target: RetrofitTarget | None = None,
    *,
    year: float | None = None,
) -> CostQuantiles:
    """Cost per critical MW for converting ``site``: calibrated P10/P50/P90 when a model is
    fitted, else the engineering model's low / base / high (``estimate_retrofit``).

    The region is ``site.grid_region``; the year defaults to the latest year in the history.
    """
    from models.estimate import estimate_retrofit  # local: keeps calibration importable alone

    estimate = estimate_retrofit(site, target)
    if calibration is None or not calibration.fitted:
        mw = estimate.critical_it_mw
        why = calibration.report.message if calibration is not None else "no project history"
        return CostQuantiles(
            estimate.total_low_usd / mw,
            estimate.total_base_usd / mw,
            estimate.total_high_usd / mw,
            "engineering model",
            f"engineering model low / base / high ({why})",
        )
    t = estimate.target
    project = pd.DataFrame(
        {
            "critical_it_mw": [t.critical_it_mw],
            "rack_density_kw": [t.rack_density_kw],
            "cooling": [t.cooling],
            "reuse_buildings": [t.reuse_buildings],
            "tier": [t.tier],
            "backup_generation": [t.backup_generation],
            "region": [site.grid_region],
            "year": [calibration.latest_year if year is None else year],
        }
    )
    p10, p50, p90 = calibration.predict(project).iloc[0]
    return CostQuantiles(
        float(p10), float(p50), float(p90), "calibrated", calibration.report.message
    )
