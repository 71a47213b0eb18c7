"""One error hierarchy. Every message is written for the person using Newsdesk.

The CLI and the app only translate these into an exit code or a chat message; anything that is not
a NewsdeskError is a bug and is logged with its traceback (never shown to a user).
"""

from __future__ import annotations


class NewsdeskError(Exception):
    """Base class: `str(error)` is a complete sentence a user can act on."""


class SettingsError(NewsdeskError):
    """A setting (environment variable or settings file field) has a bad value."""


class InputError(NewsdeskError):
    """One input file, URL or record cannot be read. Carries where and why."""

    def __init__(self, source: str, reason: str, where: str = "") -> None:
        self.source = source
        self.where = where
        self.reason = reason
        location = f"{source} ({where})" if where else source
        super().__init__(f"{location}: {reason}")


class RequestError(NewsdeskError):
    """A request to the JSON API (POST /api/ask) is malformed; the message names the field."""


class FilterError(NewsdeskError):
    """A filter asks for something the index cannot hold: an outlet it does not know."""


class IndexError_(NewsdeskError):
    """Base for problems with an index on disk (named with a trailing _ to keep the builtin)."""


class IndexNotFound(IndexError_):
    pass


class IndexIncompatible(IndexError_):
    """The index was built with another model, dimension or schema."""


class IndexCorrupt(IndexError_):
    """A file of the index is damaged or half-written."""


class IndexLocked(IndexError_):
    """Another process is writing to the index."""


class ArticleNotFound(NewsdeskError):
    pass


class ModelError(NewsdeskError):
    """The embedding model cannot be loaded from the configured path."""


class LLMError(NewsdeskError):
    """The optional LLM endpoint failed; callers fall back to the extractive engine."""
