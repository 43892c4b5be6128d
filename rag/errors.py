"""Which failures are the user's to fix (bad path, wrong model, busy index) rather than bugs.

The command line prints these as one line and exits 2; anything else keeps its traceback.
"""

from __future__ import annotations


def is_user_error(e: BaseException) -> bool:
    from rag.embedding import ModelError
    from rag.ingest import IndexBusyError
    from rag.store import ModelMismatchError

    return isinstance(e, (OSError, ValueError, KeyError, ModelError, ModelMismatchError, IndexBusyError))
