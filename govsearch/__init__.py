"""govsearch: retrieval over Chinese government service guides and policy texts."""

__version__ = "0.1.0"
