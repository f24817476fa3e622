"""tauro-files: the ``file_stream`` source and the ``file`` sink for Tauro.

Formats: json, csv, parquet, orc, text and avro. The plugin module (``tauro_files.plugin``) is
named by the ``files`` entry point of group ``tauro.plugins``; nothing here imports pyspark.
"""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
