"""Scale-out: the local run and a real Dask LocalCluster give the same numbers, bit for bit,
whatever the chunk size or worker count; summaries equal the statistics of the full matrix."""

from collections.abc import Iterator

import numpy as np
import pytest
from distributed import Client, LocalCluster

from valuation import risk_stats
from valuation.drivers import BLOCK_SIZE_PATHS, BasePaths, DriverPaths, RiskDrivers
from valuation.market import DEFAULT_MARKET
from valuation.scaleout import ScaleoutError, run_portfolio, summarize_blocks

BASE = BasePaths.from_market(DEFAULT_MARKET, 36)
N_PATHS = 2 * BLOCK_SIZE_PATHS + 300  # a partial last block
SITES = [1.0, 2.5, 0.7]


def toy_value(site: float, paths: DriverPaths) -> np.ndarray:
    """A stand-in valuation, path by path: (paths, 3) "NPVs" from the drivers."""
    discount = 1.01 ** -np.arange(paths.n_months)
    mining = site * (paths.hashprice_usd_per_ph_day * discount).sum(axis=1)
    m = np.maximum(paths.signing_month, 0)
    lease_at_signing = np.take_along_axis(paths.lease_rate_scale, m[:, None], axis=1)[:, 0]
    hosting = site * np.where(paths.signing_month >= 0, 1_500.0 * lease_at_signing, 0.0)
    hosting = hosting - site * 900.0 * paths.capex_scale - 10.0 * paths.delay_months
    power = -site * (paths.power_price_scale * discount).sum(axis=1)
    return np.stack([mining, hosting, power], axis=1)


DRIVERS = RiskDrivers(signing_probability=0.8, lease_up_months=6, lease_up_spread_months=3)


def _run(**kw: object):  # noqa: ANN202
    return run_portfolio(
        toy_value, SITES, BASE, DRIVERS, seed=99, n_paths=N_PATHS, keep_paths=True, **kw
    )


def _assert_identical(a, b) -> None:  # noqa: ANN001
    for x, y in zip((*a.sites, a.portfolio), (*b.sites, b.portfolio), strict=True):
        assert x.n_paths == y.n_paths == N_PATHS
        for name in ("mean_usd", "se_usd", "beats_probability", "npv_usd"):
            assert np.array_equal(getattr(x, name), getattr(y, name)), name


@pytest.fixture(scope="module")
def local():  # noqa: ANN201
    return _run(blocks_per_chunk=1)


@pytest.fixture(scope="module")
def cluster() -> Iterator[LocalCluster]:
    with LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=False,
        dashboard_address=None,
        protocol="tcp",
        host="127.0.0.1",
    ) as c:
        yield c


def test_chunk_size_changes_no_number(local) -> None:  # noqa: ANN001
    _assert_identical(local, _run(blocks_per_chunk=2))
    _assert_identical(local, _run(blocks_per_chunk=5))


def test_local_thread_count_changes_no_number(local, monkeypatch) -> None:  # noqa: ANN001
    """The local run on one thread and on four gives the numbers of the default run."""
    from valuation import threads

    for n in (1, 4):
        monkeypatch.setattr(threads, "local_threads", lambda n=n: n)
        _assert_identical(local, _run(blocks_per_chunk=1))


def test_dask_equals_local_bitwise_and_worker_count_changes_nothing(local, cluster) -> None:  # noqa: ANN001
    with Client(cluster) as client:
        _assert_identical(local, _run(blocks_per_chunk=1, client=client))
        _assert_identical(local, _run(blocks_per_chunk=2, client=client))
        cluster.scale(1)
        client.wait_for_workers(1)
        _assert_identical(local, _run(blocks_per_chunk=2, client=client))
        cluster.scale(2)
        client.wait_for_workers(2)
    # a scheduler address opens and closes its own client
    _assert_identical(local, _run(blocks_per_chunk=3, client=cluster.scheduler_address))


def test_summaries_equal_statistics_of_the_full_matrix(local) -> None:  # noqa: ANN001
    site = local.sites[1]
    m = site.npv_usd
    assert m.shape == (N_PATHS, 3)
    np.testing.assert_allclose(site.mean_usd, m.mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(site.se_usd, risk_stats.standard_error(m), rtol=1e-9)
    assert site.beats_probability[1, 0] == np.mean(m[:, 1] > m[:, 0])
    np.testing.assert_array_equal(site.percentiles(), risk_stats.percentiles(m))
    # the portfolio is the per-path sum over sites, in site order
    total = local.sites[0].npv_usd + local.sites[1].npv_usd + local.sites[2].npv_usd
    assert np.array_equal(local.portfolio.npv_usd, total)
    # the toy's value is linear in the site size on the mining column
    np.testing.assert_allclose(local.sites[1].npv_usd[:, 0], 2.5 * local.sites[0].npv_usd[:, 0])


def test_without_kept_paths_only_summaries_come_back(local) -> None:  # noqa: ANN001
    r = run_portfolio(toy_value, SITES, BASE, DRIVERS, seed=99, n_paths=N_PATHS, blocks_per_chunk=2)
    assert r.portfolio.npv_usd is None
    assert np.array_equal(r.portfolio.mean_usd, local.portfolio.mean_usd)
    with pytest.raises(ScaleoutError, match="keep_paths=True"):
        r.portfolio.percentiles()


def test_block_summaries_by_hand() -> None:
    v = np.array([[1.0, 2.0], [3.0, 1.0], [5.0, 5.0]])
    (b,) = summarize_blocks(v, first_block=4)
    assert b.block == 4 and b.n == 3
    assert b.sum_usd == (9.0, 8.0) and b.sum_sq_usd2 == (35.0, 30.0)
    assert b.beats == ((0, 1), (1, 0))


def test_bad_inputs() -> None:
    with pytest.raises(ScaleoutError, match="sites is empty"):
        run_portfolio(toy_value, [], BASE, DRIVERS, seed=1, n_paths=10)
    with pytest.raises(ScaleoutError, match="value_fn returned shape"):
        run_portfolio(lambda s, p: np.zeros(3), [1.0], BASE, DRIVERS, seed=1, n_paths=10)
