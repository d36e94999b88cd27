// 政策匹配 — the profile form and its results (POST /policies/match). Text is inserted as text nodes only
// (GovUI.el), never as markup. Shares helpers with app.js through window.GovUI.
"use strict";
(function () {
  const U = window.GovUI;
  const $ = (id) => document.getElementById(id);
  const el = U.el;
  const MET = {
    true: { cls: "met-yes", mark: "✓", text: "符合" },
    false: { cls: "met-no", mark: "✗", text: "不符合" },
    null: { cls: "met-unknown", mark: "?", text: "待确认" },
  };
  const KINDS = { region: "注册地", entity_type: "主体", qualification: "资质", industry: "行业", threshold: "指标", other: "其他" };
  let vocabulary = null;

  async function loadVocabulary() {
    if (vocabulary) return vocabulary;
    vocabulary = await U.getJSON("/policies/vocabulary");
    const sel = $("m-entity");
    for (const t of vocabulary.entity_types) sel.append(el("option", { value: t, text: t }));
    const box = $("m-quals");
    for (const q of vocabulary.qualifications) {
      box.append(el("label", { class: "qual" }, el("input", { type: "checkbox", value: q, class: "m-qual" }), " ", q));
    }
    const dl = $("m-industries");
    for (const i of vocabulary.industries) dl.append(el("option", { value: i }));
    return vocabulary;
  }

  function num(id) {
    const v = $(id).value.trim();
    return v === "" ? null : Number(v);
  }

  // the profile as the API takes it: fields left empty are not sent (unknown, not "no")
  function profileFromForm() {
    const p = {};
    for (const [key, id] of [["region", "m-region"], ["industry", "m-industry"], ["entity_type", "m-entity"]]) {
      const v = $(id).value.trim();
      if (v) p[key] = v;
    }
    for (const [key, id] of [["employees", "m-employees"], ["revenue_10k", "m-revenue"], ["founded", "m-founded"]]) {
      const v = num(id);
      if (v !== null) p[key] = v;
    }
    const quals = [...document.querySelectorAll(".m-qual:checked")].map((x) => x.value);
    if (quals.length || $("m-qual-none").checked) p.qualifications = quals;
    return p;
  }

  function supportList(m) {
    if (!m.support.length) return null;
    const ul = el("ul", { class: "support" });
    for (const s of m.support) ul.append(el("li", {}, s.text, " ", U.citeLink(s.citation, true)));
    return el("div", { class: "support-block" }, el("strong", { text: "扶持标准" }), ul);
  }

  function criteriaList(m) {
    const ul = el("ul", { class: "criteria" });
    for (const c of m.criteria) {
      const met = MET[String(c.met)];
      const tag = [KINDS[c.kind] || c.kind, c.branch ? "适用于" + c.branch : null, c.conditional ? "特定情形" : null,
        c.implicit ? "发文机关所在地" : null].filter(Boolean).join(" · ");
      ul.append(el("li", { class: "criterion " + met.cls, "data-met": String(c.met) },
        el("span", { class: "met-mark", title: met.text, "aria-label": met.text }, met.mark),
        el("span", { class: "crit-text" }, c.text, el("span", { class: "crit-kind", text: "（" + tag + "）" }),
          c.why ? el("span", { class: "crit-why", text: " 依据：" + c.why }) : null),
        el("span", { class: "cite" }, U.citeLink(c.citation, true))));
    }
    return ul;
  }

  function matchCard(m, eligible, i) {
    const card = el("li", { class: "match-card" + (eligible ? "" : " not-eligible"), "data-doc-id": m.doc_id },
      el("h3", {}, el("a", { href: U.docHref(m.doc_id), class: "title-link" }, m.title)),
      el("div", { class: "meta" }, U.validityBadge(m.validity),
        eligible ? el("span", { class: "fit", text: `条件符合度 ${Math.round(m.fit * 100)}%` }) : null,
        m.relevance !== null && m.relevance !== undefined ? el("span", { class: "fit", text: `需求相关度 ${m.relevance.toFixed(2)}` }) : null),
      U.validityLine(m.validity));
    if (!eligible) {
      card.append(el("ul", { class: "reasons" }, ...m.reasons.map((r) => el("li", { text: r }))));
      return card;
    }
    card.append(supportList(m) || "", el("details", { class: "criteria-block", open: i < 3 },
      el("summary", { text: `申报条件（${m.criteria.length} 条：符合 ${m.criteria.filter((c) => c.met === true).length}，` +
        `待确认 ${m.criteria.filter((c) => c.met === null).length}）` }), criteriaList(m)));
    return card;
  }

  function render(page) {
    const box = $("match-results");
    box.replaceChildren();
    box.append(el("h2", { class: "match-head", text: `可申报的政策（${page.total_matches} 项，截至 ${page.as_of}）` }));
    if (!page.matches.length) box.append(el("div", { class: "notice", text: "没有找到条件全部可能满足的政策。" }));
    const ol = el("ol", { class: "matches", id: "matches" });
    page.matches.forEach((m, i) => ol.append(matchCard(m, true, i)));
    box.append(ol);
    if (page.total_matches > page.matches.length) {
      box.append(el("p", { class: "cite", text: `仅显示前 ${page.matches.length} 项。` }));
    }
    if (page.not_eligible.length) {
      const det = el("details", { class: "not-eligible-block" },
        el("summary", { text: `不符合条件的政策（${page.total_not_eligible} 项）` }));
      const ul = el("ol", { class: "matches" });
      page.not_eligible.forEach((m, i) => ul.append(matchCard(m, false, i)));
      det.append(ul);
      box.append(det);
    }
    U.setStatus(`已核对 ${page.policies} 项政策文件：可申报 ${page.total_matches} 项，不符合 ${page.total_not_eligible} 项`);
  }

  async function runMatch() {
    const body = { profile: profileFromForm(), k: 20 };
    const need = $("m-need").value.trim();
    if (need) body.need = need;
    if ($("m-asof").value) body.as_of = $("m-asof").value;
    U.setStatus("正在匹配政策…");
    try {
      render(await U.getJSON("/policies/match", body));
    } catch (e) {
      $("match-results").replaceChildren();
      U.setStatus("出错了：" + e.message, true);
    }
  }

  $("match-form").addEventListener("submit", (ev) => { ev.preventDefault(); runMatch(); });
  $("m-qual-none").addEventListener("change", (ev) => {
    if (ev.target.checked) for (const q of document.querySelectorAll(".m-qual")) q.checked = false;
  });
  document.addEventListener("change", (ev) => {
    if (ev.target instanceof Element && ev.target.classList.contains("m-qual") && ev.target.checked) $("m-qual-none").checked = false;
  });
  $("tab-match").addEventListener("click", () => { loadVocabulary().catch((e) => U.setStatus("出错了：" + e.message, true)); });
  if (!$("view-match").hidden) loadVocabulary().catch((e) => U.setStatus("出错了：" + e.message, true));
})();
