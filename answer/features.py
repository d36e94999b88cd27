"""The features of one (question, candidate item) pair, for the learned decision (:mod:`answer.decision`).

Every feature is absolute — comparable across questions and indexes — or relative to the other
candidates of the same question (``*_gap``: this candidate's value minus the best other one's):

- coverage of the question's content terms (idf-weighted over item titles, :func:`answer.terms.title_weights`)
  by the title (+ region), by the item's other names (:mod:`answer.lexicon` aliases), by its full text,
  and the share covered *only* by its material names (a question naming 护照 is not about every item
  that asks for a passport); a term counts whole (1), as an abbreviation (0.8: 社保卡 → 社会保障卡), as
  a learned synonym (0.8: 驾照 → 驾驶证) or by its longest piece;
- title precision (share of the title the question covers);
- stage: the learned variant words (:mod:`answer.lexicon`) of the title the question leaves open
  (``stage_open``: 注销 in 食品经营许可（注销） when the question does not ask to cancel) and those it
  names (``stage_met``); the idf-weighted share of the title's words the question names
  (``title_recall``), and of the words that tell it from its siblings among the candidates
  (``sib_met`` / ``sib_open``), and the share of the question it covers beyond its best sibling
  (``own_name`` / ``own_text``);
- retrieval: BM25 of the item's best chunk over the query's idf mass (:meth:`Bm25Channel.idf_mass`),
  the raw dense cosine of its best chunk and of its first one (``head_dense``: the title and its
  summary, the closest thing to a title embedding), the item's fused rank and per-channel ranks (as 1/rank), whether a 申请材料
  chunk of it was hit, whether only the title channel found it;
- kind: bundle (一件事), whether the guide lists materials at all, and how many against its siblings
  (``material_share``: a first application usually asks for the full set, a change or a cancellation
  for less — measured on the Guangdong export: 31 of 44 sibling groups);
- ``missed``: the share of the question's term weight its whole text does not hold (在北京 … asked of
  an item of 示例市).
"""
from __future__ import annotations

import math

from answer.lexicon import Lexicon
from answer.materials import ITEM_KINDS, squash
from answer.terms import abbreviates, covered_share

FEATURES = (
    "title_cov", "alias_cov", "name_cov", "text_cov", "material_only", "title_prec", "title_gap", "name_gap",
    "stage_open", "stage_met", "title_recall", "sib_met", "sib_open", "has_sib", "own_name", "own_text", "missed", "material_share",
    "bm25", "bm25_gap", "dense", "dense_gap", "head_dense", "head_gap", "has_dense",
    "inv_rank", "inv_bm25_rank", "inv_dense_rank", "material_hit", "title_only",
    "bundle", "has_materials", "n_terms",
)
ABBREVIATION = 0.8
SYNONYM = 0.8
VARIANT_MIN = 0.5  # a title word is a stage/variant word when it tells siblings apart this often


def cover(term: str, text: str, synonyms: dict[str, tuple[str, ...]]) -> float:
    """How much of ``term`` a squashed ``text`` covers: 1 whole, 0.8 as an abbreviation or through a
    learned synonym, else the share of its longest piece (≥ 2 characters) found."""
    if term in text:
        return 1.0
    if abbreviates(term, text) or any(s in text for s in synonyms.get(term, ())):
        return ABBREVIATION
    n = len(term)
    for size in range(n - 1, 1, -1):
        for i in range(0, n - size + 1):
            if term[i: i + size] in text:
                return size / n
    return 0.0


def _cov(covers: list[float], weights: list[float]) -> float:
    total = sum(weights)
    return sum(w * c for w, c in zip(weights, covers)) / total if total else 0.0


def asked(lex: Lexicon, word: str, query: str) -> bool:
    """The question names a title word: as it is, abbreviated, or by a learned synonym."""
    return word in query or abbreviates(word, query) or any(s in query for s in _reverse(lex, word))


def stage_words(lex: Lexicon, doc_id: str, query: str) -> tuple[float, float]:
    """(open, met) over the title's variant words: the sum of the variant scores of those the
    question does not name, and of those it names."""
    open_, met = 0.0, 0.0
    for w in lex.title_words.get(doc_id, ()):
        v = lex.variant.get(w, 0.0)
        if v < VARIANT_MIN:
            continue
        if asked(lex, w, query):
            met += v
        else:
            open_ += v
    return min(open_, 3.0), min(met, 3.0)


def title_recall(lex: Lexicon, doc_id: str, query: str) -> float:
    """idf-weighted share of the title's words the question names (申请 and 办理 count here: in a title
    they tell 执业申请 from 注销)."""
    ws = lex.title_words.get(doc_id, ())
    total = sum(lex.word_idf.get(w, 1.0) for w in ws)
    return sum(lex.word_idf.get(w, 1.0) for w in ws if asked(lex, w, query)) / total if total else 0.0


def sibling_words(lex: Lexicon, doc_ids: list[str], query: str) -> list[tuple[float, float, float]]:
    """Per candidate (met, open, has_sibling) over the words that tell it apart from its siblings among
    the candidates (candidates sharing at least half of the shorter title's words): the idf-weighted
    share of those words the question names, of those it leaves open, and whether it has a sibling."""
    sets = [set(lex.title_words.get(d, ())) for d in doc_ids]
    out = []
    for i, a in enumerate(sets):
        own: set[str] = set()
        sibs = []
        for j, b in enumerate(sets):
            if i != j and a and b and a != b and len(a & b) * 2 >= min(len(a), len(b)):
                sibs.append(j)
                own |= a - b
        total = sum(lex.word_idf.get(w, 1.0) for w in own)
        met = sum(lex.word_idf.get(w, 1.0) for w in own if asked(lex, w, query)) / total if total else 0.0
        out.append((met, (1.0 - met) if total else 0.0, sibs))
    return out


def own_share(covers: list[list[float]], weights: list[float], sibs: list[int], i: int) -> float:
    """The share of the question's term weight candidate ``i`` covers beyond the best of its siblings."""
    total = sum(weights)
    if not total or not sibs:
        return 0.0
    return sum(w * max(0.0, covers[i][k] - max(covers[j][k] for j in sibs)) for k, w in enumerate(weights)) / total


def _reverse(lex: Lexicon, title_word: str) -> tuple[str, ...]:
    rev = lex.__dict__.setdefault("_reverse", {})
    if not rev and lex.synonyms:
        for q, ts in lex.synonyms.items():
            for t in ts:
                rev.setdefault(t, []).append(q)
    return tuple(rev.get(title_word, ()))


def candidate_features(lex: Lexicon, query: str, terms: list[str], weights: list[float], cands, docs,
                       bm25_norm: float | None, has_dense: bool) -> list[dict[str, float]]:
    """One feature dict per candidate (:data:`FEATURES`), in the candidates' order."""
    q = squash(query)
    syn = lex.synonyms
    rows, name_covs, text_covs = [], [], []
    for c in cands:
        doc = docs[c.doc_id]
        title = lex.titles.get(c.doc_id) or squash(doc.title)
        aliases = lex.aliases.get(c.doc_id, ())
        mats = lex.materials.get(c.doc_id, "")
        text = lex.text(doc)
        t_cov = [cover(t, title, syn) for t in terms]
        a_cov = [max((cover(t, a, syn) for a in aliases), default=0.0) for t in terms]
        n_cov = [max(x, y) for x, y in zip(t_cov, a_cov)]
        x_cov = [cover(t, text, syn) for t in terms]
        m_only = [max(0.0, cover(t, mats, syn) - n) for t, n in zip(terms, n_cov)] if mats else [0.0] * len(terms)
        s_open, s_met = stage_words(lex, c.doc_id, q)
        name_covs.append(n_cov)
        total_w = sum(weights)
        text_covs.append(x_cov)
        bm = c.scores.get("bm25")
        de = c.scores.get("dense")
        rows.append({
            "title_cov": _cov(t_cov, weights), "alias_cov": _cov(a_cov, weights), "name_cov": _cov(n_cov, weights),
            "text_cov": _cov(x_cov, weights), "material_only": _cov(m_only, weights),
            "missed": sum(w for w, x in zip(weights, x_cov) if x < 0.5) / total_w if total_w else 0.0,
            "title_prec": covered_share(terms, title),
            "stage_open": s_open, "stage_met": s_met, "title_recall": title_recall(lex, c.doc_id, q),
            "bm25": (bm / bm25_norm) if bm and bm25_norm else 0.0,
            "dense": de if (de is not None and has_dense) else 0.0, "has_dense": float(has_dense),
            "head_dense": c.head_dense if (c.head_dense is not None and has_dense) else 0.0,
            "inv_rank": 1.0 / c.best_rank,
            "inv_bm25_rank": 1.0 / c.ranks["bm25"] if c.ranks.get("bm25") else 0.0,
            "inv_dense_rank": 1.0 / c.ranks["dense"] if c.ranks.get("dense") else 0.0,
            "material_hit": float(c.material_hit), "title_only": float(c.title_channel),
            "bundle": float(doc.kind == "bundle"), "has_materials": float(has_materials(doc)),
            "n_terms": math.log1p(len(terms)),
        })
    for i, (r, (met, open_, sibs)) in enumerate(zip(rows, sibling_words(lex, [c.doc_id for c in cands], q))):
        n_mat = _n_materials(docs[cands[i].doc_id])
        most = max([n_mat] + [_n_materials(docs[cands[j].doc_id]) for j in sibs])
        r.update(sib_met=met, sib_open=open_, has_sib=float(bool(sibs)), material_share=n_mat / most if most else 0.0,
                 own_name=own_share(name_covs, weights, sibs, i), own_text=own_share(text_covs, weights, sibs, i))
    for key, gap in (("title_cov", "title_gap"), ("name_cov", "name_gap"), ("bm25", "bm25_gap"),
                     ("dense", "dense_gap"), ("head_dense", "head_gap")):
        vals = [r[key] for r in rows]
        for i, r in enumerate(rows):
            others = vals[:i] + vals[i + 1:]
            r[gap] = r[key] - max(others) if others else r[key]
    return rows


def _n_materials(doc) -> int:
    return len(doc.fields.get("materials") or doc.fields.get("members") or [])


def has_materials(doc) -> bool:
    """The guide lists materials (its own, or a bundle's members)."""
    return bool(doc.fields.get("materials") or doc.fields.get("members") or
                (doc.kind in ITEM_KINDS and "【申请材料】" in doc.text))
