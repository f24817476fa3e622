"""Core's own plugin: Spark's built-in sources and sinks, registered like any other plugin."""
