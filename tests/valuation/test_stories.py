"""Representative scenarios: named k-means clusters with probabilities and strategy means."""

import numpy as np
import pytest

from valuation.drivers import BasePaths, RiskDrivers, generate_paths
from valuation.market import DEFAULT_MARKET
from valuation.stories import FEATURES, StoryError, path_features, stories


def _three_groups() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    centres = np.array(
        [
            [1.0, 0.5, 0.0, 0.0],  # BTC rally, hashrate surge
            [-1.0, -0.5, 0.0, -1.0],  # BTC slump, hashrate retreat, lease market soft
            [0.0, 0.0, 0.0, 0.0],  # close to base
        ]
    )
    sizes = [300, 200, 500]
    x = np.concatenate(
        [c + 0.05 * rng.standard_normal((n, 4)) for c, n in zip(centres, sizes, strict=True)]
    )
    truth = np.repeat([0, 1, 2], sizes)
    return x, truth


def test_clear_groups_get_their_names_probabilities_and_means() -> None:
    x, truth = _three_groups()
    npv = np.stack([truth * 10.0, -truth * 1.0 + 7.0], axis=1)
    out = stories(x, npv, ("mine", "convert"), n_stories=3, seed=1)
    names = [s.name for s in out.stories]
    # ordered by the BTC centroid, worst first
    assert names == [
        "BTC slump, hashrate retreat, lease market soft",
        "Close to base",
        "BTC rally, hashrate surge",
    ]
    assert [s.probability for s in out.stories] == [0.2, 0.5, 0.3]
    assert sum(s.n_paths for s in out.stories) == 1000
    # each story's mean NPV is the mean over its own paths (groups are pure here)
    assert out.stories[0].mean_npv_usd == (10.0, 6.0)
    assert out.stories[1].mean_npv_usd == (20.0, 5.0)
    assert out.stories[2].mean_npv_usd == (0.0, 7.0)
    for k, s in enumerate(out.stories):
        np.testing.assert_allclose(npv[out.labels == k].mean(axis=0), s.mean_npv_usd)
        np.testing.assert_allclose(x[out.labels == k].mean(axis=0), s.centroid)


def test_same_seed_same_stories_on_driver_paths() -> None:
    base = BasePaths.from_market(DEFAULT_MARKET, 48)
    paths = generate_paths(base, RiskDrivers(), seed=3, n_paths=1500)
    f = path_features(paths, base)
    assert f.shape == (1500, len(FEATURES))
    npv = np.log(paths.btc_price_usd[:, -1:])  # any per-path number
    a = stories(f, npv, ("x",), n_stories=4, seed=5)
    b = stories(f, npv, ("x",), n_stories=4, seed=5)
    assert a.stories == b.stories and np.array_equal(a.labels, b.labels)
    assert sum(s.probability for s in a.stories) == pytest.approx(1.0)
    assert len({s.name for s in a.stories}) == 4
    btc = [s.centroid[0] for s in a.stories]
    assert btc == sorted(btc)


def test_zero_volatility_features_are_zero() -> None:
    base = BasePaths.from_market(DEFAULT_MARKET, 24)
    p = generate_paths(base, RiskDrivers.deterministic(), seed=1, n_paths=50)
    assert np.array_equal(path_features(p, base), np.zeros((50, 4)))


def test_bad_inputs() -> None:
    x, _ = _three_groups()
    with pytest.raises(StoryError, match="n_stories=6"):
        stories(x, n_stories=6)
    with pytest.raises(StoryError, match="features has shape"):
        stories(x[:, :3])
    with pytest.raises(StoryError, match="npv_usd has shape"):
        stories(x, np.zeros((10, 2)), ("a", "b"))


def test_stories_that_share_a_name_are_told_apart_by_where_they_differ_most() -> None:
    # three clusters all well below base on BTC and hashrate, differing most in BTC: one name
    # ("(2)", "(3)" said nothing), now each qualified by its BTC rank
    rng = np.random.default_rng(1)
    centres = np.array([[-3.0, -1.0, 0.0, 0.0], [-2.0, -1.0, 0.0, 0.0], [-1.0, -1.0, 0.0, 0.0],
                        [2.0, 1.0, 0.0, 0.0]])  # fmt: skip
    noise = np.array([1.0, 1.0, 0.0, 0.0])  # power and lease never vary: left out
    x = np.concatenate([c + 0.05 * noise * rng.standard_normal((100, 4)) for c in centres])
    names = [st.name for st in stories(x, n_stories=4, seed=0).stories]
    assert names == [
        "BTC slump, hashrate retreat (BTC lowest)",
        "BTC slump, hashrate retreat (BTC middle)",
        "BTC slump, hashrate retreat (BTC highest)",
        "BTC rally, hashrate surge",
    ]
