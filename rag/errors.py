"""The project's own exceptions. Library code raises these; only the CLI and UI turn them into messages."""

from __future__ import annotations


class RagError(Exception):
    """Base class: a problem the user can act on. The message says what is wrong and what to do."""


class ConfigError(RagError):
    """A setting is invalid (bad number, missing folder, unknown model name)."""


class DocsFolderMissing(RagError):
    """The documents folder does not exist."""


class IndexMissing(RagError):
    """No index has been built yet in the index folder."""


class IndexBroken(RagError):
    """The index exists but cannot be read or was built with other settings."""


class ModelMissing(RagError):
    """The language model or embedding model file cannot be found or loaded."""


class EmptyQuestion(RagError):
    """The question is empty or only whitespace."""


class DocumentUnreadable(RagError):
    """A document cannot be read as text (binary, not UTF-8, empty, unsupported type)."""


class ServerError(RagError):
    """A Chroma or language-model server named in the settings cannot be reached or answered with an error."""


class IndexOutdated(IndexBroken):
    """The index was built by an older version of this program (its schema): rebuilding it loses nothing."""


class ServerTimeout(ServerError):
    """A server named in the settings did not connect or answer within its time-out (RAG_CHROMA_TIMEOUT,
    RAG_LLM_TIMEOUT)."""


class AnswerCutOff(ServerError):
    """The language-model server stopped in the middle of an answer (closed the connection or went quiet): what
    was received is incomplete."""
