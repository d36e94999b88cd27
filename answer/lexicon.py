"""What the item decision learns from the loaded index itself, once per index (no labels needed).

- ``titles``: every service item's and bundle's squashed title (+ its region: 在示例市办理 … is about
  an item of 示例市, whose title does not repeat the city).
- ``aliases``: the other names the corpus gives an item — the portal's everyday and short names and
  keywords (``fields.keywords``) and its catalogue name (``fields.raw.catalog_name``, the matter the
  item is a variant of).
- ``variant``: per title word, how often it is what tells an item apart from a sibling. Portals list a
  matter several times (食品经营许可（新办）/（变更）/（注销）; 延期L字签证 / 延期C字签证); siblings are
  items sharing a catalogue name, a title without its brackets, or most of their title words, and the
  words in one sibling's title but not the other's are its variant words. ``variant[w]`` = the share
  of the titles holding ``w`` where ``w`` is such a word: 注销, 变更, 补发 or 新办 score high, 食品
  or 许可 low. A title word the question leaves open is then a measured signal, not a fixed list. A
  small corpus (the demo's 78 items) says little on its own, so its counts are pooled with those of a
  large one (:func:`pooled_variants`; the decision model carries the counts measured on the Guangdong
  export, ``variant_counts``).
- ``synonyms``: a question word → the title word it stands for, learned from the pairs the corpus
  gives (an item's aliases vs its title): a word of an alias the title lacks, paired with a title word
  the alias lacks that shares a character with it (驾照 → 驾驶证), kept when at least
  :data:`MIN_PAIRS` items pair them.
"""
from __future__ import annotations

import math
import re
import unicodedata
import weakref
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from answer.materials import ITEM_KINDS, squash

MIN_PAIRS = 2
MAX_GROUP = 60  # siblings compared within a group (a larger group is a generic prefix, not a matter)
_BRACKETS = re.compile(r"[（(][^（()）]*[)）]")
_CACHE: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


@dataclass
class Lexicon:
    titles: dict[str, str]  # doc_id → squashed title + region
    title_words: dict[str, tuple[str, ...]]  # doc_id → content words of the title
    aliases: dict[str, tuple[str, ...]]  # doc_id → squashed other names
    materials: dict[str, str]  # doc_id → squashed material names, one per line
    variant: dict[str, float]
    synonyms: dict[str, tuple[str, ...]]
    variant_counts: dict[str, tuple[int, int]] = field(default_factory=dict)  # word → (marked, held)
    pooled: bool = False  # variant pooled with another corpus's counts
    texts: dict[str, str] = field(default_factory=dict)  # doc_id → squashed text (filled on demand)
    by_gram: dict[str, set[str]] = field(default_factory=dict)  # a character or bigram → items naming it
    word_idf: dict[str, float] = field(default_factory=dict)  # title word → log(N / df) over the titles

    def names(self, doc_id: str) -> tuple[str, ...]:
        return (self.titles.get(doc_id, ""),) + self.aliases.get(doc_id, ())

    def text(self, doc) -> str:
        t = self.texts.get(doc.doc_id)
        if t is None:
            t = self.texts[doc.doc_id] = squash(doc.title + "\n" + doc.text)
        return t

    def _grams(self) -> dict[str, set[str]]:
        if not self.by_gram:
            for d in self.titles:
                for name in self.names(d):
                    for i, ch in enumerate(name):
                        self.by_gram.setdefault(ch, set()).add(d)
                        self.by_gram.setdefault(name[i:i + 2], set()).add(d)
        return self.by_gram

    def naming(self, terms: list[str], weights: list[float], floor: float) -> list[str]:
        """The items whose title or aliases could cover at least ``floor`` of the terms' weight: per term,
        the items holding one of its bigrams (a piece or all of it), all of its characters (an
        abbreviation) or a bigram of a synonym; an item is kept when the terms that could cover it weigh
        enough. A cheap bound: the exact coverage is computed for these only."""
        grams = self._grams()
        hit: dict[str, float] = defaultdict(float)
        for t, w in zip(terms, weights):
            docs: set[str] = set()
            if len(t) == 1:
                docs |= grams.get(t, set())
            for i in range(len(t) - 1):
                docs |= grams.get(t[i:i + 2], set())
            if len(t) >= 2:
                sets = [grams.get(ch, set()) for ch in t]
                docs |= set.intersection(*sets) if all(sets) else set()
            for syn in self.synonyms.get(t, ()):
                docs |= grams.get(syn[:2], set())
            for d in docs:
                hit[d] += w
        need = floor * sum(weights)
        return sorted(d for d, v in hit.items() if v >= need)


def words(tokenize, text: str) -> tuple[str, ...]:
    """The content words of a title: tokenizer words of two or more word characters, each once. The
    tokenizer's search mode gives a long dictionary word and its pieces (建设项目环境影响报告表, 报告表);
    the pieces are kept and a word made of them dropped, so that siblings differ by a short word."""
    out: list[str] = []
    for w in tokenize(text):
        w = squash(w)
        if len(w) >= 2 and all(unicodedata.category(c)[0] in "LN" for c in w) and w not in out:
            out.append(w)
    return tuple(w for w in out if not any(w != o and o in w for o in out))


def _split(value) -> list[str]:
    vals = value if isinstance(value, list) else [value]
    return [p for v in vals if isinstance(v, str) for p in re.split(r"[,，;；、\s]+", v) if p]


def everyday_names(doc) -> list[str]:
    """The names people use for an item, as the corpus gives them: keywords, short and common names."""
    f = doc.fields or {}
    raw = f.get("raw") if isinstance(f.get("raw"), dict) else {}
    return _split(f.get("keywords")) + _split(raw.get("short_name")) + _split(raw.get("common_name"))


def aliases_of(doc) -> list[str]:
    """Everyday names and the catalogue name, squashed, without the title itself."""
    raw = (doc.fields or {}).get("raw")
    names = everyday_names(doc) + ([str(raw["catalog_name"])] if isinstance(raw, dict) and raw.get("catalog_name")
                                   else [])
    title = squash(doc.title)
    out: list[str] = []
    for n in map(squash, names):
        if n and n != title and n not in out:
            out.append(n)
    return out


def _groups(docs) -> list[list[str]]:
    by: dict[tuple[str, str], list[str]] = defaultdict(list)
    for d in docs:
        t = squash(d.title)
        by[("stem", _BRACKETS.sub("", t))].append(d.doc_id)
        raw = (d.fields or {}).get("raw") or {}
        if isinstance(raw, dict) and raw.get("catalog_name"):
            by[("cat", squash(str(raw["catalog_name"])))].append(d.doc_id)
        if len(t) >= 6:
            by[("head", t[:4])].append(d.doc_id)
            by[("tail", t[-4:])].append(d.doc_id)
    return [g for g in by.values() if 1 < len(g) <= MAX_GROUP]


def learn_variants(title_words: dict[str, tuple[str, ...]], groups: list[list[str]]) -> dict[str, float]:
    """``variant[w]``: the share of the titles holding ``w`` where ``w`` tells the item apart from a
    sibling (a title of its group sharing at least half of the shorter title's words)."""
    return {w: m / h for w, (m, h) in variant_counts(title_words, groups).items() if h}


def pooled_variants(own: dict[str, tuple[int, int]], other: dict[str, list[int]] | None) -> dict[str, float]:
    """Variant scores from this index's counts and another corpus's, added: (marked + marked') /
    (held + held'), for every word either has seen."""
    other = other or {}
    out = {}
    for w in set(own) | set(other):
        m, h = own.get(w, (0, 0))
        m2, h2 = other.get(w, (0, 0))
        if h + h2:
            out[w] = (m + m2) / (h + h2)
    return out


def variant_counts(title_words: dict[str, tuple[str, ...]], groups: list[list[str]]) -> dict[str, tuple[int, int]]:
    """Per title word: (titles where it tells the item from a sibling, titles holding it)."""
    held = Counter(w for ws in title_words.values() for w in ws)
    marked: dict[str, set[str]] = defaultdict(set)
    for g in groups:
        for i, a in enumerate(g):
            wa = set(title_words[a])
            for b in g[i + 1:]:
                wb = set(title_words[b])
                if not wa or not wb or wa == wb or len(wa & wb) * 2 < min(len(wa), len(wb)):
                    continue
                for w in wa - wb:
                    marked[w].add(a)
                for w in wb - wa:
                    marked[w].add(b)
    return {w: (len(marked.get(w, ())), n) for w, n in held.items()}


def learn_synonyms(pairs: list[tuple[tuple[str, ...], tuple[str, ...]]]) -> dict[str, tuple[str, ...]]:
    """From (alias words, title words) pairs of one item: alias-only word → title-only words sharing a
    character with it, kept when :data:`MIN_PAIRS` items agree."""
    counts: Counter = Counter()
    for alias, title in pairs:
        a_only = [w for w in alias if not any(w in t or t in w for t in title)]
        t_only = [t for t in title if not any(t in w or w in t for w in alias)]
        for w in a_only:
            for t in t_only:
                if set(w) & set(t):
                    counts[(w, t)] += 1
    out: dict[str, list[str]] = defaultdict(list)
    for (w, t), n in counts.most_common():
        if n >= MIN_PAIRS:
            out[w].append(t)
    return {w: tuple(ts) for w, ts in out.items()}


def lexicon(engine, variant_prior: dict[str, list[int]] | None = None) -> Lexicon:
    """The index's lexicon, learned once per loaded index (a few hundred ms on the full data); its variant
    scores pooled with ``variant_prior`` (counts from another corpus) the first time it is built."""
    lex = _CACHE.get(engine)
    if lex is not None:
        if variant_prior and not lex.pooled:
            lex.variant = pooled_variants(lex.variant_counts, variant_prior)
            lex.pooled = True
        return lex
    docs = [d for d in engine.documents() if d.kind in ITEM_KINDS]
    tok = engine.tokenize
    titles = {d.doc_id: squash(d.title + (" " + d.region if d.region else "")) for d in docs}
    title_words = {d.doc_id: words(tok, d.title) for d in docs}
    aliases = {d.doc_id: tuple(aliases_of(d)) for d in docs}
    materials = {d.doc_id: "\n".join(squash(m.get("name", "")) for m in d.fields.get("materials") or []
                                     if isinstance(m, dict)) for d in docs}
    pairs = [(words(tok, a), title_words[d.doc_id]) for d in docs for a in everyday_names(d)]
    df = Counter(w for ws in title_words.values() for w in ws)
    n = max(1, len(docs))
    counts = variant_counts(title_words, _groups(docs))
    lex = Lexicon(titles, title_words, aliases, materials, pooled_variants(counts, variant_prior),
                  learn_synonyms(pairs), variant_counts=counts, pooled=bool(variant_prior),
                  word_idf={w: math.log((n + 1) / (c + 0.5)) for w, c in df.items()})
    _CACHE[engine] = lex
    return lex


def counts_to_ship(lex: Lexicon, min_held: int = 3) -> dict[str, list[int]]:
    """The variant counts worth carrying to other indexes: words held by ``min_held`` titles or more
    that tell siblings apart at least once."""
    return {w: [m, h] for w, (m, h) in sorted(lex.variant_counts.items()) if h >= min_held and m}
