"""Which item a materials question means, or none: evidence per candidate and the rule that accepts one.

Evidence per candidate, all in [0, 1] (see :mod:`answer.terms`): ``title_coverage`` (weighted share of
the content terms in the item's title and region), ``text_coverage`` (the same over its whole clean text),
``title_precision``, ``agreement`` (retrieval channels ranking it in their top 3), whether a 申请材料 chunk
of it was hit, whether the guide lists materials, and whether its title names a later stage (注销 / 变更 /
延续 …) or another purpose (查询 / 下载 …) the question does not (:func:`lifecycle_mismatch`).
"""
from __future__ import annotations

from dataclasses import dataclass

from answer.candidates import ItemCandidate
from answer.materials import ITEM_KINDS, squash
from answer.terms import coverage, term_cover, title_precision
from core.records import Document

# Stages of a matter after its first application; see lifecycle_mismatch.
LIFECYCLE_WORDS = ("注销", "变更", "延续", "换证", "换发", "换领", "补办", "补领", "补发", "撤销", "遗失", "迁出", "转出",
                   "增项", "减项", "歇业", "停业", "复业", "退出", "启用", "激活", "挂失", "解挂", "密码", "年检",
                   "年审")
# Services that are not the application itself (a look-up, a form download …): same rule.
OTHER_PURPOSE_WORDS = ("查询", "下载", "预约", "打印", "公示", "投诉", "评价", "状态")
# Everyday words for a later stage, and for another purpose (查 for 查询).
STAGE_CUES = ("丢", "掉了", "损坏", "损毁", "到期", "过期", "续期", "换新", "改名", "更名", "迁移", "不干了", "关闭", "取消")
PURPOSE_CUES = {"查询": ("查询", "查", "调取"), "预约": ("预约", "约"), "投诉": ("投诉", "举报"), "状态": ("状态", "进度")}
LIFECYCLE_PENALTY = 0.3

TITLE_ACCEPT = 0.5
TITLE_ALONE = 0.75  # above this the title may miss a term (a place name, a filler word)
TEXT_ACCEPT = 0.8
TITLE_SUPPORT = 0.25
AGREE_TEXT_ACCEPT = 0.25  # text coverage that suffices when both channels agree on the item
RANK_WEIGHT = 0.3  # weight of 1/best_rank (the fused retrieval rank) in the evidence


def lifecycle_mismatch(query: str, title: str) -> bool:
    """The title names a later stage of a matter (注销 / 变更 / 延续 / 补办 …) or another purpose the query
    does not ask for. Portals list one matter several times (食品经营许可（新办）/（变更）/（注销）); a user
    who names none of those stages means the first application."""
    q, t = squash(query), squash(title)
    stages = [w for w in LIFECYCLE_WORDS if w in t]
    # a query that names any later stage (or a cue for one: 弄丢了 → 补办) may mean any of the
    # title's stages; coverage then ranks the variants (变更 vs 注销)
    if stages and not any(w in q for w in LIFECYCLE_WORDS + STAGE_CUES):
        return True
    return any(w in t and not any(c in q for c in PURPOSE_CUES.get(w, (w,))) for w in OTHER_PURPOSE_WORDS)


def title_text(doc: Document) -> str:
    """What title coverage is measured on: the title and the item's region (在示例市办理 … is about an
    item of 示例市, whose title does not repeat the city)."""
    return doc.title + (" " + doc.region if doc.region else "")


def has_materials(doc: Document) -> bool:
    """The guide lists materials (its own, or a bundle's members)."""
    return bool(doc.fields.get("materials") or doc.fields.get("members") or
                (doc.kind in ITEM_KINDS and "【申请材料】" in doc.text))


@dataclass
class Scored:
    cand: ItemCandidate
    doc: Document
    title_coverage: float
    text_coverage: float
    title_precision: float
    later_stage: bool
    evidence: float
    pos: int

    def summary(self) -> dict:
        return {"title_coverage": round(self.title_coverage, 4), "text_coverage": round(self.text_coverage, 4),
                "title_precision": round(self.title_precision, 4), "agreement": self.cand.agreement,
                "material_hit": self.cand.material_hit, "evidence": round(self.evidence, 4)}


def score(query: str, cands: list[ItemCandidate], docs: dict[str, Document], terms: list[str],
          weights: list[float]) -> list[Scored]:
    """Candidates with their evidence, best first (ties: the order retrieval found them)."""
    out = []
    for pos, c in enumerate(cands):
        doc = docs[c.doc_id]
        tcov = coverage(terms, title_text(doc), weights)
        xcov = coverage(terms, doc.title + "\n" + doc.text, weights)
        tprec = title_precision(terms, doc.title)
        later = lifecycle_mismatch(query, doc.title)
        ev = (0.5 * tcov + 0.2 * xcov + 0.1 * tprec + 0.1 * c.material_hit + RANK_WEIGHT / c.best_rank
              + 0.1 * has_materials(doc) - LIFECYCLE_PENALTY * later)
        out.append(Scored(c, doc, tcov, xcov, tprec, later, ev, pos))
    out.sort(key=lambda s: (-s.evidence, s.pos))
    return out


def accepts(best: Scored, terms: list[str]) -> bool:
    """The confidence rule: the best candidate is the answer only if its title covers the question
    (≥ 0.75; or ≥ 0.5 with every term of two or more characters at least partly in it), or both channels
    rank it in their top 3 and its text covers a quarter of the terms, or its title covers a quarter, its
    text 0.8 with every term partly in the title and one channel agrees — and never when its title names
    a later stage or another purpose the question does not."""
    if best.later_stage:
        return False
    title_sq = squash(title_text(best.doc))
    title_misses = [t for t in terms if len(t) >= 2 and term_cover(t, title_sq) == 0]
    title_fits = best.title_coverage >= TITLE_ALONE or (best.title_coverage >= TITLE_ACCEPT and not title_misses)
    retrieval_fits = best.cand.agreement >= 2 and best.text_coverage >= AGREE_TEXT_ACCEPT
    return title_fits or retrieval_fits or (
        best.title_coverage >= TITLE_SUPPORT and best.text_coverage >= TEXT_ACCEPT and best.cand.agreement >= 1
        and not title_misses)
