"""The Milvus side of the Milvus backend: connecting (milvus-lite file or server), the collections'
schema and indexes, filter expressions, reading rows by id.

pymilvus is imported on first use (it takes ~1 s and +130 MB: pandas, pyarrow), from the ``milvus``
extra: ``pip install 'govsearch[milvus]'``.

Facts this module relies on (measured with pymilvus 3.0.2 / milvus-lite 3.2.2; see the README's
"Scaling out"): a ``*.db`` URI starts milvus-lite inside this process, and its folder is locked against
other processes (:func:`connect` says so, naming the way out); collections come back *released* after a
restart (:func:`ensure_loaded`); string literals take ``\\\\``, ``\\"``, ``\\n`` escapes but no ``\\uXXXX``;
``like`` has no escape for ``%`` and ``_``; ``x not in [...]`` matches nulls while ``x in [...]`` does not,
so expressions always say ``is not null``; ``MilvusClient.get`` quotes ids itself and breaks on a
backslash, so rows are read with our own ``chunk_id in [...]`` expressions (:func:`fetch`).
"""
from __future__ import annotations

import threading
from pathlib import Path
from typing import Iterable, Mapping

from core.errors import IndexCorrupt, IndexNotFound

INSTALL_HINT = "pip install 'govsearch[milvus]'"
LITE_FILE = "milvus.db"  # the default milvus-lite file of a build: build/NAME/milvus.db
SCHEMA_VERSION = 1
FETCH_BATCH = 500  # ids per `in` expression when reading rows back
HNSW = {"index_type": "HNSW", "params": {"M": 16, "efConstruction": 200}}
HNSW_MAX_ROWS = 2_000_000  # beyond this a server gets IVF_SQ8 (HNSW's graph no longer fits the query nodes well)


class MilvusUnavailable(IndexNotFound):
    """The Milvus server or milvus-lite file cannot be reached or opened, or a call to it failed (the
    service answers 503: no index to serve)."""

    hint = "check --milvus-uri (GOVSEARCH_MILVUS_URI); a milvus-lite file is opened by one process at a time"


def pymilvus():
    """The pymilvus module, or an ImportError naming the install command."""
    try:
        import pymilvus as pm
    except ImportError as e:
        raise ImportError(f"the Milvus backend needs pymilvus and milvus-lite: {INSTALL_HINT} ({e})") from e
    return pm


# --- where the collections live ------------------------------------------------------------


def is_lite(uri: str) -> bool:
    return not uri.startswith(("http://", "https://", "tcp://", "unix:"))


def resolve_uri(build_dir: Path, uri: str | None) -> tuple[str, str]:
    """(the URI to connect to, the URI the manifest records). Default: ``build/NAME/milvus.db``
    (milvus-lite), recorded relative to the build folder so the folder can move."""
    build_dir = Path(build_dir)
    if not uri:
        uri = LITE_FILE
        path = build_dir / uri
        return str(path.resolve()), uri
    if not is_lite(uri):
        return uri.rstrip("/"), uri.rstrip("/")
    path = Path(uri)
    if not path.is_absolute() and not uri.startswith("."):
        path = build_dir / path  # recorded relative: a name in the build folder
        return str(path.resolve()), uri
    path = path.resolve()
    try:
        return str(path), str(path.relative_to(build_dir.resolve()))
    except ValueError:
        return str(path), str(path)


def recorded_uri(build_dir: Path, recorded: str) -> str:
    """The URI to connect to for a manifest's recorded one."""
    if not is_lite(recorded):
        return recorded
    p = Path(recorded)
    return str((p if p.is_absolute() else Path(build_dir) / p).resolve())


def display_uri(uri: str) -> str:
    """A URI for messages and /health: without credentials."""
    if "@" in uri and "://" in uri:
        scheme, rest = uri.split("://", 1)
        return f"{scheme}://{rest.split('@', 1)[1]}"
    return uri


_clients: dict[tuple, list] = {}  # (uri, token, db) -> [client, references]
_clients_lock = threading.Lock()


def connect(uri: str, token: str | None = None, db: str | None = None):
    """A MilvusClient for ``uri`` (shared by everyone in this process who asks for the same one; give it
    back with :func:`disconnect`)."""
    key = (uri, token or "", db or "")
    with _clients_lock:
        entry = _clients.get(key)
        if entry is not None:
            entry[1] += 1
            return entry[0]
    pm = pymilvus()
    kw = {"uri": uri}
    if token:
        kw["token"] = token
    if db:
        kw["db_name"] = db
    if is_lite(uri):
        Path(uri).parent.mkdir(parents=True, exist_ok=True)
    try:
        client = pm.MilvusClient(**kw)
    except pm.exceptions.MilvusException as e:
        if is_lite(uri):
            raise MilvusUnavailable(
                f"cannot open the milvus-lite file {uri}: {e.message if hasattr(e, 'message') else e}",
                hint="a milvus-lite file is opened by one process at a time: stop the process that has it open "
                     "(a running `govsearch serve`?), or run `milvus-lite server --data-dir "
                     f"{uri} --port 19530` and use --milvus-uri http://127.0.0.1:19530 from every process") from e
        raise MilvusUnavailable(f"cannot connect to Milvus at {display_uri(uri)}: {e}") from e
    with _clients_lock:
        entry = _clients.setdefault(key, [client, 0])
        entry[1] += 1
        return entry[0]


def disconnect(uri: str, token: str | None = None, db: str | None = None) -> None:
    """Give back a client from :func:`connect`; the last one out closes it (and, for milvus-lite, stops
    its in-process server, which releases the file's lock)."""
    key = (uri, token or "", db or "")
    with _clients_lock:
        entry = _clients.get(key)
        if entry is None:
            return
        entry[1] -= 1
        if entry[1] > 0:
            return
        del _clients[key]
    try:
        entry[0].close()
    except Exception:  # noqa: BLE001 - closing a dead connection
        pass
    if is_lite(uri):
        from milvus_lite.server_manager import server_manager_instance

        server_manager_instance.release_server(uri)


def ensure_loaded(client, collection: str) -> None:
    """Load a collection unless it is (a restarted milvus-lite or server starts with them released)."""
    state = str(client.get_load_state(collection).get("state", ""))
    if "Loaded" not in state or "NotLoad" in state:
        client.load_collection(collection)


def alias_target(client, alias: str) -> str | None:
    """The collection an alias points at (None: no such alias; asked without provoking an error, which
    pymilvus would log)."""
    if alias not in (client.list_aliases().get("aliases") or []):
        return None
    return client.describe_alias(alias).get("collection_name")


def row_count(client, collection: str) -> int:
    """Rows in a collection now (deleted rows excluded)."""
    res = client.query(collection, filter="", output_fields=["count(*)"])
    return int(res[0]["count(*)"])


# --- expressions ---------------------------------------------------------------------------

_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def literal(value: str) -> str:
    """A string literal for a Milvus expression. Other control characters have no escape Milvus
    accepts: ValueError."""
    out = []
    for ch in str(value):
        esc = _ESCAPES.get(ch)
        if esc is None and ord(ch) < 0x20:
            raise ValueError(f"a control character (U+{ord(ch):04X}) cannot be written in a Milvus expression")
        out.append(esc or ch)
    return '"' + "".join(out) + '"'


def in_list(field: str, values: Iterable[str]) -> str:
    return f"{field} in [{', '.join(literal(v) for v in values)}]"


def region_expr(wanted: Iterable[str], known: Iterable[str]) -> str:
    """Regions are hierarchical (示例市 covers 示例市临江区, see :func:`index.docstore.region_matches`):
    ``region like "x%"``; a value with ``%`` or ``_`` (which ``like`` cannot escape) becomes the list of
    known regions it covers."""
    parts = []
    known = [k for k in known if k]
    for w in wanted:
        if "%" in w or "_" in w:
            covered = sorted(k for k in known if k.startswith(w))
            if covered:
                parts.append(in_list("region", covered))
        else:
            parts.append(f"region like {literal(w + '%')}")
    if not parts:
        return "region is null and region is not null"  # nothing matches
    return "region is not null and (" + " or ".join(parts) + ")"


def filter_expr(filters: Mapping[str, tuple[str, ...]] | None, facets: Mapping[str, Iterable[str]]) -> str:
    """The Milvus expression for the query's facet filters ('' when there are none): a facet takes any of
    its values, every facet must match."""
    parts = []
    for name in sorted(filters or {}):
        values = filters[name]
        if name == "region":
            parts.append(f"({region_expr(values, facets.get('region', ()))})")
        else:
            parts.append(f"({name} is not null and {in_list(name, values)})")
    return " and ".join(parts)


# --- schema -------------------------------------------------------------------------------

FACET_FIELDS = ("source", "kind", "department", "region")
DATE_FIELDS = ("date", "valid_from", "valid_until")  # ISO yyyy-mm-dd: compares as a string


def _varchar(values: Iterable[str], floor: int = 64) -> int:
    """A VARCHAR max_length that holds every value (a server counts bytes; milvus-lite characters)."""
    longest = max((len(v.encode("utf-8")) for v in values if v), default=0)
    return min(65_535, max(floor, 1 << max(longest, 1).bit_length()))


def chunk_schema(rows: list[dict], dim: int):
    """The chunk collection: chunk id (primary key), document id, facets, validity dates (nullable), the
    passage text, the dense vector (when there is an encoder) and the lexical sparse vector."""
    pm = pymilvus()
    DataType = pm.DataType
    s = pm.MilvusClient.create_schema(auto_id=False, enable_dynamic_field=False)
    s.add_field("chunk_id", DataType.VARCHAR, is_primary=True, max_length=_varchar(r["chunk_id"] for r in rows))
    s.add_field("doc_id", DataType.VARCHAR, max_length=_varchar(r["doc_id"] for r in rows))
    for f in FACET_FIELDS:
        s.add_field(f, DataType.VARCHAR, max_length=_varchar((r[f] for r in rows), 256), nullable=True)
    for f in DATE_FIELDS:
        s.add_field(f, DataType.VARCHAR, max_length=32, nullable=True)
    s.add_field("passage", DataType.VARCHAR, max_length=_varchar((r["passage"] for r in rows), 1024))
    if dim:
        s.add_field("dense", DataType.FLOAT_VECTOR, dim=dim)
    s.add_field("lex", DataType.SPARSE_FLOAT_VECTOR)
    return s


def window_schema(rows: list[dict], dim: int):
    """The sentence-window collection: window id (``chunk_id|n``), its chunk and document, the facets
    (so filters push down here too) and the dense vector."""
    pm = pymilvus()
    DataType = pm.DataType
    s = pm.MilvusClient.create_schema(auto_id=False, enable_dynamic_field=False)
    s.add_field("win_id", DataType.VARCHAR, is_primary=True, max_length=_varchar((r["win_id"] for r in rows), 128))
    s.add_field("chunk_id", DataType.VARCHAR, max_length=_varchar((r["chunk_id"] for r in rows), 128))
    s.add_field("doc_id", DataType.VARCHAR, max_length=_varchar((r["doc_id"] for r in rows), 128))
    for f in FACET_FIELDS:
        s.add_field(f, DataType.VARCHAR, max_length=_varchar((r[f] for r in rows), 256), nullable=True)
    s.add_field("dense", DataType.FLOAT_VECTOR, dim=dim)
    return s


def dense_index(rows: int, lite: bool) -> dict:
    """The dense index for a collection of ``rows`` vectors, with its search parameters. milvus-lite:
    FLAT (exact; its per-query cost is Python work over all rows, so HNSW brings nothing there);
    a server: HNSW (M 16, efConstruction 200, ef ≥ the candidates asked for) up to HNSW_MAX_ROWS, IVF_SQ8
    (nlist ≈ 4·√N, nprobe 32) beyond."""
    if lite:
        return {"index_type": "FLAT", "metric_type": "IP", "params": {}, "search_params": {}}
    if rows <= HNSW_MAX_ROWS:
        return {**HNSW, "metric_type": "IP", "search_params": {"ef": 256}}
    nlist = int(4 * rows ** 0.5)
    return {"index_type": "IVF_SQ8", "metric_type": "IP", "params": {"nlist": nlist}, "search_params": {"nprobe": 32}}


def create_collection(client, name: str, schema, dense: dict | None, lexical: bool = True) -> None:
    """Create a collection with its vector indexes (and inverted indexes on the fields filters and
    updates select by)."""
    ip = client.prepare_index_params()
    if dense is not None:
        ip.add_index("dense", index_type=dense["index_type"], metric_type=dense["metric_type"],
                     params=dense.get("params") or {})
    if lexical:
        ip.add_index("lex", index_type="SPARSE_INVERTED_INDEX", metric_type="IP")
    for f in ("doc_id", "kind", "source", "region"):
        ip.add_index(f, index_type="INVERTED")
    client.create_collection(name, schema=schema, index_params=ip)


# --- reading rows back ----------------------------------------------------------------------


def fetch(client, collection: str, key: str, ids: Iterable[str], fields: list[str], batch: int = FETCH_BATCH) -> list[dict]:
    """Rows whose ``key`` field is one of ``ids`` (ids no expression can hold are skipped), with ``fields``.
    ``batch`` ids per query: a server returns at most 16,384 rows per query, so keep ``batch`` × rows per id
    under that (by document id: a few dozen)."""
    want = []
    for i in dict.fromkeys(ids):
        try:
            want.append(literal(i))
        except ValueError:
            continue
    out: list[dict] = []
    for s in range(0, len(want), batch):
        part = want[s:s + batch]
        out.extend(client.query(collection, filter=f"{key} in [{', '.join(part)}]",
                                output_fields=[key, *fields], limit=16_384))
    return out


def check_count(client, collection: str, want: int) -> None:
    n = row_count(client, collection)
    if n != want:
        raise IndexCorrupt(f"the Milvus collection {collection} holds {n} rows; the index folder lists {want}",
                           hint="rebuild it with `govsearch index --backend milvus --full`")
