"""Tauro's Kafka family: the ``kafka`` source and sink on Spark's Kafka connector."""

__version__ = "0.1.0"
