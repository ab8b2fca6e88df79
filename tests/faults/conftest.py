"""Fault tests: a private PostgreSQL cluster the tests may stop and restart, and the usual fake clock.

Every module here sets ``pytestmark = pytest.mark.fault`` (run them alone with ``pytest -m fault``).
"""
from __future__ import annotations

import pytest

from tests.faults.pgcluster import PrivateCluster, skip_reason


@pytest.fixture(scope="session")
def _private_cluster():  # noqa: ANN202
    reason = skip_reason()
    if reason:
        pytest.skip(f"private PostgreSQL cluster unavailable: {reason}")
    cluster = PrivateCluster().init()
    cluster.start()
    yield cluster
    cluster.destroy()


@pytest.fixture
def cluster(_private_cluster: PrivateCluster) -> PrivateCluster:
    """The private cluster, running at the start and at the end of each test."""
    if not _private_cluster.running():
        _private_cluster.start()
    yield _private_cluster
    if not _private_cluster.running():
        _private_cluster.start()
