"""Failures a user can fix (a bad path, a wrong model, a busy index, a malformed file), as one family.

Every such error is a `RagError`; the command line and the chat print it as one line (exit
code 2 on the command line), while anything else is a bug and keeps its traceback. Each
class also derives from the built-in its callers have always caught (`ValueError`,
`FileNotFoundError`, `RuntimeError`), so `except ValueError` around `make_where` still works.

This module is at the bottom of the package: it imports nothing of `rag`, and the feature
modules raise these classes.
"""

from __future__ import annotations


class RagError(Exception):
    """Something the user can fix; the message says what was expected and where."""


class ConfigError(RagError, ValueError):
    """A setting, flag or filter with a value that cannot be used (a bad date, an unknown mode)."""


class ArticleError(RagError, ValueError):
    """A file (or one line of it) that could not be read as an article."""

    def __init__(self, where: str, reason: str):
        super().__init__(f"{where}: {reason}")
        self.where = where
        self.reason = reason


class PathMissingError(RagError, FileNotFoundError):
    """A path given to read from does not exist."""


class IndexMissingError(RagError, FileNotFoundError):
    """No index where one was expected."""


class IndexBusyError(RagError, RuntimeError):
    """Another process is writing to the index."""


class ModelError(RagError, RuntimeError):
    """A model (embedding, language analysis, language model) could not be found, verified or loaded."""


class ModelMismatchError(RagError, RuntimeError):
    """The index was built with another embedding model than the one asked for."""


class IndexDamagedError(RagError, RuntimeError):
    """A file of the index cannot be read as what it should be; the message names it and the fix."""

    def __init__(self, message: str, path, reason: str = ""):
        super().__init__(message)
        self.path, self.reason = path, reason


class IndexReadOnlyError(RagError, PermissionError):
    """A write was asked of an index this process may only read."""


class DiskFullError(RagError, OSError):
    """The device holding the index has no room for the write."""


class UnknownAnswererError(ConfigError, KeyError):
    """An answerer name that is not configured."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class SetError(RagError, ValueError):
    """An evaluation set that cannot be used; the message names the file, line and field."""


def is_user_error(e: BaseException) -> bool:
    """A `RagError`, or an operating-system error about a file (permissions, a full disk)."""
    return isinstance(e, (RagError, OSError))
