"""The pluggy markers of the ``tauro`` project: ``@hookimpl`` for plugins, ``@hookspec`` for core."""

from __future__ import annotations

import pluggy

PROJECT_NAME = "tauro"

#: Marks a plugin's implementation of a ``tauro_*`` hook.
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)
#: Marks a hook declaration in ``tauro.hookspecs`` (core only).
hookspec = pluggy.HookspecMarker(PROJECT_NAME)
