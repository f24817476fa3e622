"""``tauro init``: new pipeline projects and new format plugin distributions, ready to test."""

from tauro.scaffold.files import ScaffoldError, write_files
from tauro.scaffold.plugin_template import plugin_files
from tauro.scaffold.project_template import project_files

__all__ = ["ScaffoldError", "plugin_files", "project_files", "write_files"]
