"""tauro-kinesis: the ``kinesis`` source and sink for Tauro (AWS Kinesis Data Streams).

Both are Spark Python data sources written with boto3. The plugin module
(``tauro_kinesis.plugin``) is named by the ``kinesis`` entry point of group ``tauro.plugins``;
nothing here imports pyspark or boto3.
"""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
