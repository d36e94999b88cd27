"""Specific exceptions raised by the library. Only the CLI and the API translate them."""


class GovsearchError(Exception):
    """Base class. ``hint`` tells the user what to do next."""

    hint: str = ""

    def __init__(self, message: str, hint: str | None = None):
        super().__init__(message)
        if hint is not None:
            self.hint = hint


class BuildNotFound(GovsearchError):
    """The build folder (docs.jsonl / chunks.jsonl) does not exist."""

    hint = "run `govsearch ingest` first"


class IndexNotFound(GovsearchError):
    hint = "run `govsearch index` first"


class IndexCorrupt(GovsearchError):
    """The index folder is incomplete, half-written or does not match its manifest."""

    hint = "rebuild it with `govsearch index`"


class ManifestMismatch(GovsearchError):
    """The index was built with other settings (encoder, tokenizer, corpus) than requested."""

    hint = "rebuild it with `govsearch index`, or load it with the encoder it was built with"


class BadQuery(GovsearchError):
    hint = "send a query of 1-200 characters"


class DocumentNotFound(GovsearchError):
    pass


class EncoderUnavailable(GovsearchError):
    """An optional encoder's dependency is missing or its model cannot be loaded."""


class BuildIncomplete(BuildNotFound):
    """The build folder's files do not match the corpus seal written last by ingest (an ingest was
    interrupted, or the files were changed by hand)."""

    hint = "re-run `govsearch ingest` for this build (it completes the build; nothing to clean up by hand)"


class Overloaded(GovsearchError):
    """Too many requests of this kind are running; the caller should retry after ``retry_after`` seconds."""

    def __init__(self, message: str, retry_after: float = 1.0, hint: str | None = None):
        super().__init__(message, hint)
        self.retry_after = retry_after


class UnknownKind(GovsearchError, ValueError):
    """A document kind that is not one of the record kinds (service_item, policy, qa, article, bundle)."""

    hint = "use one of: service_item, policy, qa, article, bundle"
