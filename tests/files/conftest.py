"""The standalone cluster fixture for the cluster tests (started only when one asks for it)."""

from tests.spark_cluster import spark_cluster

__all__ = ["spark_cluster"]
