"""Tauro's Delta Lake family: the ``delta`` sink and the ``delta`` and ``delta_stream`` sources."""

__version__ = "0.1.0"
