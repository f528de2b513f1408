"""Representative scenarios: k-means clusters of Monte Carlo paths, named by what sets them apart.

Each path is described by four features, each the mean over the horizon of a log deviation
from the deterministic base (so 0 = the base case):

* ``btc``: ``log(price / base price)``, ``hashrate``: ``log(hashrate / base hashrate)`` (the
  deterministic hashrate after the floor),
* ``power``: ``log(power_price_scale)``, ``lease``: ``log(lease_rate_scale)``.

Features are standardised (z-scores; a feature that never varies is left at 0) and clustered
with scikit-learn's ``KMeans`` (fixed ``random_state``, ``n_init=10``), so a seed gives the same
stories. A story's name lists the features whose centroid lies at least ``NAME_THRESHOLD_SD``
standard deviations (of that feature over the paths) from the base case, 0
("BTC rally, lease market soft"), or "Close to base" when none does; stories that share a name
are told apart by the feature on which they differ most, ranked ("(BTC lowest)"). Stories are
ordered by their BTC centroid (worst first); each carries its probability (its share of paths)
and, given an ``(paths, strategies)`` NPV matrix, each strategy's mean NPV.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from sklearn.cluster import KMeans
from threadpoolctl import threadpool_limits  # a scikit-learn dependency

from valuation.drivers import BasePaths, DriverPaths
from valuation.errors import ValuationError

__all__ = [
    "FEATURES",
    "NAME_THRESHOLD_SD",
    "Stories",
    "Story",
    "StoryError",
    "path_features",
    "stories",
]

FEATURES: tuple[str, ...] = ("btc", "hashrate", "power", "lease")
NAME_THRESHOLD_SD = 0.5  # assumption: half a standard deviation is a visible difference
_FEATURE_WORDS = {
    "btc": "BTC",
    "hashrate": "hashrate",
    "power": "power price",
    "lease": "lease rate",
}
_RANK_WORDS = {2: ("lower", "higher"), 3: ("lowest", "middle", "highest"),
               4: ("lowest", "lower", "higher", "highest"),
               5: ("lowest", "lower", "middle", "higher", "highest")}  # fmt: skip
_WORDS: dict[str, tuple[str, str]] = {  # (below, above)
    "btc": ("BTC slump", "BTC rally"),
    "hashrate": ("hashrate retreat", "hashrate surge"),
    "power": ("power cheap", "power dear"),
    "lease": ("lease market soft", "lease market strong"),
}


class StoryError(ValuationError, ValueError):
    """Bad input to the story clustering: names the argument, the value and what is allowed."""


@dataclass(frozen=True)
class Story:
    """One representative scenario: its name, probability, centroid and strategies' mean NPVs.

    ``centroid_sd`` holds the centroid's distance from the base case (0) in standard deviations
    per feature (order ``FEATURES``);
    ``centroid`` the same in the features' own units (mean log deviations); ``mean_npv_usd`` is
    per strategy (empty when no NPV matrix was given).
    """

    name: str
    probability: float
    n_paths: int
    centroid: tuple[float, ...]
    centroid_sd: tuple[float, ...]
    mean_npv_usd: tuple[float, ...]


@dataclass(frozen=True)
class Stories:
    """The stories and each path's story index (``labels``, ``(paths,)``, into ``stories``)."""

    stories: tuple[Story, ...]
    labels: np.ndarray
    strategy_keys: tuple[str, ...]


def path_features(paths: DriverPaths, base: BasePaths) -> np.ndarray:
    """``(paths, 4)``: mean log deviations of BTC, hashrate, power and lease (order ``FEATURES``)."""
    if paths.n_months != base.n_months:
        raise StoryError(
            f"paths have {paths.n_months} months and base has {base.n_months}; allowed: the same"
        )
    return np.stack(
        [
            np.log(paths.btc_price_usd / base.btc_price_usd).mean(axis=1),
            np.log(paths.network_hashrate_eh_s / base.floored_hashrate_eh_s).mean(axis=1),
            np.log(paths.power_price_scale).mean(axis=1),
            np.log(paths.lease_rate_scale).mean(axis=1),
        ],
        axis=1,
    )


def _name(z: np.ndarray) -> str:
    words = [
        _WORDS[f][1] if v >= NAME_THRESHOLD_SD else _WORDS[f][0]
        for f, v in zip(FEATURES, z, strict=True)
        if abs(v) >= NAME_THRESHOLD_SD
    ]
    if not words:
        return "Close to base"
    text = ", ".join(words)
    return text[0].upper() + text[1:]


def _distinct_names(names: list[str], from_base: np.ndarray) -> list[str]:
    """Stories that share a name (three "BTC slump" clusters when most paths slump) told apart
    by the feature on which their centroids differ most, ranked: "BTC slump (BTC lowest)",
    "(BTC middle)", "(BTC highest)"."""
    out = list(names)
    for name in set(names):
        group = [i for i, n in enumerate(names) if n == name]
        if len(group) < 2:
            continue
        spread = from_base[group].max(axis=0) - from_base[group].min(axis=0)
        f = int(np.argmax(spread))
        words = _RANK_WORDS[len(group)]
        for rank, i in enumerate(sorted(group, key=lambda i: from_base[i, f])):
            out[i] = f"{name} ({_FEATURE_WORDS[FEATURES[f]]} {words[rank]})"
    return out


def stories(
    features: np.ndarray,
    npv_usd: np.ndarray | None = None,
    strategy_keys: Sequence[str] = (),
    *,
    n_stories: int = 4,
    seed: int = 0,
) -> Stories:
    """Cluster ``(paths, 4)`` features into ``n_stories`` (3-5) named stories.

    k-means on the standardised features; each story is named from its centroid (e.g. "BTC
    rally, hashrate surge") and carries its probability (share of paths).

    Parameters
    ----------
    features : numpy.ndarray
        ``(paths, 4)``: mean log deviations of BTC, hashrate, power and lease from the base
        (:func:`path_features`).
    npv_usd : numpy.ndarray, optional
        ``(paths, strategies)`` NPVs in USD; each story then carries each strategy's mean NPV over
        its paths.
    strategy_keys : sequence of str
        Names of the ``npv_usd`` columns.
    n_stories : int, default 4
        Stories to form, 3 to 5.
    seed : int, default 0
        k-means seed (same seed, same stories).

    Returns
    -------
    Stories
        ``stories`` (name, probability, n_paths, centroid, mean NPV per strategy) and each path's
        story index ``labels``.

    References
    ----------
    .. [1] scikit-learn ``sklearn.cluster.KMeans``, https://scikit-learn.org/stable/modules/generated/sklearn.cluster.KMeans.html

    Examples
    --------
    >>> from valuation.drivers import BasePaths, RiskDrivers, generate_paths
    >>> from valuation.stories import path_features, stories
    >>> base = BasePaths.from_market(n_months=24)
    >>> paths = generate_paths(base, RiskDrivers(), seed=7, n_paths=400)
    >>> for story in stories(path_features(paths, base), n_stories=3, seed=0).stories:
    ...     print(story.name, round(story.probability, 3), story.n_paths)
    BTC slump, hashrate retreat 0.347 139
    Power cheap, lease market soft 0.305 122
    BTC rally, hashrate surge 0.347 139
    """
    x = np.asarray(features, dtype=float)
    if x.ndim != 2 or x.shape[1] != len(FEATURES) or not np.all(np.isfinite(x)):
        raise StoryError(
            f"features has shape {x.shape}; allowed: finite (paths, {len(FEATURES)}) from path_features"
        )
    if not (isinstance(n_stories, int) and 3 <= n_stories <= 5):
        raise StoryError(f"n_stories={n_stories!r} is not allowed: 3, 4 or 5")
    n = x.shape[0]
    if n < 10 * n_stories:
        raise StoryError(
            f"features has {n} paths; allowed: at least {10 * n_stories} for {n_stories} stories"
        )
    keys = tuple(str(k) for k in strategy_keys)
    m = None
    if npv_usd is not None:
        m = np.asarray(npv_usd, dtype=float)
        if m.ndim != 2 or m.shape[0] != n or m.shape[1] != len(keys) or not np.all(np.isfinite(m)):
            raise StoryError(
                f"npv_usd has shape {m.shape}; allowed: finite ({n} paths, {len(keys)} strategies)"
                " matching strategy_keys"
            )
    mu = x.mean(axis=0)
    sd = x.std(axis=0)
    z = np.divide(x - mu, sd, out=np.zeros_like(x), where=sd > 0)
    # One thread: on a small (paths, 4) problem OpenMP threads only contend (measured 0.2 s
    # single-threaded vs 10 s with threads on a busy 2-core machine for 10,000 paths).
    with threadpool_limits(limits=1):
        km = KMeans(n_clusters=n_stories, n_init=10, random_state=seed).fit(z)
    raw = km.labels_
    centers_z = np.stack([z[raw == c].mean(axis=0) for c in range(n_stories)])
    order = np.lexsort(tuple(centers_z[:, i] for i in reversed(range(len(FEATURES)))))
    relabel = np.empty(n_stories, dtype=np.int64)
    relabel[order] = np.arange(n_stories)
    labels = relabel[raw]
    counts = np.bincount(labels, minlength=n_stories)
    centers = np.zeros((n_stories, x.shape[1]))
    np.add.at(centers, labels, x)
    centers /= counts[:, None]
    sums = None
    if m is not None:
        sums = np.zeros((n_stories, m.shape[1]))
        np.add.at(sums, labels, m)
    # named by the distance from the base case (0), in each feature's standard deviations
    from_base = np.divide(centers, sd, out=np.zeros_like(centers), where=sd > 0)
    out: list[Story] = []
    names = _distinct_names([_name(cz) for cz in from_base], from_base)
    for s in range(n_stories):
        cz = from_base[s]
        name = names[s]
        out.append(
            Story(
                name=name,
                probability=float(counts[s] / n),
                n_paths=int(counts[s]),
                centroid=tuple(float(v) for v in centers[s]),
                centroid_sd=tuple(float(v) for v in cz),
                mean_npv_usd=() if sums is None else tuple(float(v) for v in sums[s] / counts[s]),
            )
        )
    return Stories(stories=tuple(out), labels=labels, strategy_keys=keys)
