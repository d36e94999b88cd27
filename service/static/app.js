// 政务服务智能检索（示例） — vanilla JS. Every piece of document text is inserted with
// textContent / text nodes (never innerHTML), so document content cannot inject markup.
"use strict";
(function () {
  const $ = (id) => document.getElementById(id);
  const KIND = { service_item: "办事事项", bundle: "一件事", policy: "政策文件", qa: "问答", article: "资讯" };
  let view = "search";

  function el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k === "class") e.className = v;
      else if (k === "text") e.textContent = v;
      else e.setAttribute(k, v === true ? "" : v);
    }
    for (const c of children) {
      if (c === null || c === undefined || c === false) continue;
      e.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return e;
  }
  const docHref = (id) => "/docs/" + encodeURIComponent(id);
  const safeUrl = (u) => (typeof u === "string" && /^https?:\/\//i.test(u) ? u : null);

  function escapeRe(s) { return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"); }

  // snippet text with the matched terms wrapped in <mark>, built from text nodes
  function highlighted(text, terms) {
    const frag = document.createDocumentFragment();
    const ts = (terms || []).filter((t) => t && t.trim()).sort((a, b) => b.length - a.length);
    if (!ts.length) { frag.append(document.createTextNode(text)); return frag; }
    const re = new RegExp("(" + ts.map(escapeRe).join("|") + ")", "gi");
    let last = 0;
    for (const m of text.matchAll(re)) {
      if (m.index > last) frag.append(document.createTextNode(text.slice(last, m.index)));
      frag.append(el("mark", { text: m[0] }));
      last = m.index + m[0].length;
    }
    if (last < text.length) frag.append(document.createTextNode(text.slice(last)));
    return frag;
  }

  function citeLink(c, short) {
    if (!c) return null;
    const full = `${c.doc_id} · ${c.section} · 第${c.start}–${c.end}字`;
    return el("a", { href: docHref(c.doc_id), class: "cite-link", title: "查看原文：" + full },
      short ? `${c.section} 第${c.start}–${c.end}字` : full);
  }

  function today() {
    const d = new Date();
    return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")}`;
  }

  function setStatus(msg, isError) {
    const s = $("status");
    s.textContent = msg || "";
    s.classList.toggle("error", !!isError);
  }

  // GET url, or POST `body` as JSON when given
  async function getJSON(url, payload) {
    const init = { headers: { Accept: "application/json" } };
    if (payload !== undefined) {
      init.method = "POST";
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(payload);
    }
    const r = await fetch(url, init);
    let body = null;
    try { body = await r.json(); } catch (e) { body = null; }
    if (!r.ok) {
      let d = body && body.detail;
      if (Array.isArray(d)) d = d.map((x) => (x.loc ? x.loc.join(".") + "：" : "") + x.msg).join("；");
      const err = new Error(`${r.status} ${d || r.statusText}`);
      err.status = r.status;
      throw err;
    }
    return body;
  }

  function switchView(v) {
    view = v;
    for (const t of document.querySelectorAll(".tab")) {
      const on = t.dataset.view === v;
      t.classList.toggle("active", on);
      t.setAttribute("aria-selected", on ? "true" : "false");
    }
    for (const sec of document.querySelectorAll("main > .view")) sec.hidden = sec.id !== "view-" + v;
    $("options").hidden = v !== "search";
    $("search-form").hidden = v === "match";
    $("go").textContent = v === "search" ? "搜索" : "查询材料";
  }

  // ---- validity of policies (search results and the match tab)
  const STATUS = { in_force: "现行有效", expired: "已失效", not_yet: "尚未生效", unknown: "效力未知" };
  const KEY_FACTS = ["repealed_by", "effective_until", "period", "duration", "effective_from"];
  // the cited statement a status rests on (none for unknown: nothing is stated)
  function keyStatement(v) {
    if (!v || v.status === "unknown") return null;
    const st = (v.statements || []).filter((s) => s.citation);
    for (const f of KEY_FACTS) { const s = st.find((x) => x.fact === f); if (s) return s; }
    return null;
  }
  function windowState(w, asOf) {
    if (w.ongoing) return "常年受理";
    if (w.open) return "正在受理";
    if (asOf && w.until && w.until < asOf) return "已截止";
    if (asOf && w.from && w.from > asOf) return "未开始";
    return "未开放";
  }
  function validityBadge(v) {
    return el("span", { class: "badge validity v-" + v.status, title: "截至 " + v.as_of }, STATUS[v.status] || v.status);
  }
  // 有效期 2025-05-20 至 2025-12-31「执行至2025年12月31日」(cite) · 申报 … (cite)
  function validityLine(v) {
    const line = el("div", { class: "validity-line" });
    const parts = [];
    if (v.from || v.until) parts.push(`有效期 ${v.from || "…"} 至 ${v.until || "…"}`);
    if (v.repealed_by) parts.push(`已被《${v.repealed_by.title}》废止`);
    if (parts.length) line.append(parts.join("，"));
    const key = keyStatement(v);
    if (key) line.append(" ", el("q", { text: key.text }), " ", citeLink(key.citation, true));
    const w = v.window;
    if (w) {
      if (line.childNodes.length) line.append(" · ");
      line.append(`申报时间 ${w.from || "…"} 至 ${w.until || "…"}（${windowState(w, v.as_of)}） `, citeLink(w.citation, true));
    }
    if (!line.childNodes.length) line.append(v.status === "unknown" ? "原文未写明施行日期或有效期" : "");
    return line;
  }

  // ---- search view
  function renderHits(data) {
    const ol = $("results");
    ol.replaceChildren();
    const weak = $("no-good-match");
    weak.hidden = !data.no_good_match;
    for (const h of data.hits) {
      const meta = el("div", { class: "meta" },
        el("span", { class: "badge kind-" + (h.kind || ""), text: KIND[h.kind] || h.kind || "文档" }),
        el("span", { class: "badge section", text: h.section }),
        h.validity ? validityBadge(h.validity) : null,
        h.department ? el("span", { class: "dept", text: h.department }) : null,
        el("span", { class: "score", text: "相关度 " + h.score.toFixed(3) }),
        h.confidence != null ? el("span", { class: "score", text: "置信度 " + Math.round(h.confidence * 100) + "%" }) : null);
      const ext = safeUrl(h.url);
      ol.append(el("li", { class: "result", "data-doc-id": h.doc_id },
        el("h3", {}, el("a", { href: docHref(h.doc_id), class: "title-link" }, h.title)),
        meta,
        h.validity ? validityLine(h.validity) : null,
        el("p", { class: "snippet" }, highlighted(h.snippet, h.highlights)),
        el("div", { class: "cite" }, "出处：", citeLink(h.citation),
          ext ? el("span", {}, " · ", el("a", { href: ext, rel: "noopener noreferrer", target: "_blank" }, "原网页")) : null)));
    }
    setStatus(data.hits.length
      ? `共 ${data.hits.length} 条结果（${data.mode}，用时 ${data.took_ms.toFixed(1)} 毫秒）`
        + (data.no_good_match ? "；没有找到足够匹配的结果" : "")
      : "没有找到相关结果，请换个说法试试。");
  }

  async function doSearch(q) {
    const p = new URLSearchParams({ q, k: "10", mode: $("mode").value });
    if ($("kind").value) p.set("kind", $("kind").value);
    if ($("valid-now").checked) p.set("valid_on", today());
    setStatus("正在检索…");
    renderHits(await getJSON("/search?" + p));
  }

  // ---- materials view
  function yesNo(v) { return v === true ? "必需" : v === false ? "非必需" : "—"; }

  // the answer being shown: its query, the situation answers the person chose here (sent as
  // situation=ID:OPTION,…) and the materials ticked as prepared (kept across re-requests)
  const state = { q: "", chosen: {}, prepared: new Set() };
  const situationParam = () => Object.entries(state.chosen).map(([k, v]) => k + ":" + v).join(",");

  // citations as footnote marks: [n] opens doc · section · span · links, in the flow of the text
  function footnotes() {
    const seen = new Map();
    return function fn(c) {
      if (!c) return null;
      const key = [c.doc_id, c.chunk_id, c.start, c.end].join("|");
      if (!seen.has(key)) seen.set(key, seen.size + 1);
      const n = seen.get(key);
      const ext = safeUrl(c.url);
      return el("details", { class: "fn" },
        el("summary", { title: "出处", "aria-label": `出处 ${n}` }, `[${n}]`),
        el("span", { class: "fn-body" }, `${c.doc_id} · ${c.section} · 第${c.start}–${c.end}字 `,
          el("a", { href: docHref(c.doc_id), class: "cite-link" }, "原文"),
          ext ? el("span", {}, " · ", el("a", { href: ext, rel: "noopener noreferrer", target: "_blank" }, "原网页")) : null));
    };
  }

  function renderNoItem(card, a) {
    card.append(el("h2", { text: a.question && a.alternatives.length ? "请确认要办理的事项" : "没有找到足够匹配的办事事项" }),
      el("div", { class: "notice", text: a.reason }));
    if (a.alternatives.length) {
      card.append(el("h3", { class: "question", text: a.question || "您可能要办理：" }));
      const ul = el("ul", { class: "alts" });
      for (const h of a.alternatives) {
        ul.append(el("li", {}, el("a", { href: "#", class: "alt-answer", "data-title": h.title }, h.title), " ",
          el("span", { class: "badge section", text: KIND[h.kind] || h.kind || "" }), " ",
          el("span", { class: "cite", text: h.department || "" })));
      }
      card.append(ul);
    }
    setStatus("未能确定事项");
  }

  function keyFacts(a, fn) {
    const fc = a.field_citations || {};
    const dl = el("dl", { class: "keyfacts", id: "keyfacts" });
    const add = (label, key, value) => {
      dl.append(el("div", { class: "fact" }, el("dt", { text: label }),
        el("dd", {}, value || "指南未写明", value ? fn(fc[key]) : null)));
    };
    const tl = a.time_limit;
    add("办理时限", "time_limit", tl ? [tl.legal && "法定 " + tl.legal, tl.promised && "承诺 " + tl.promised].filter(Boolean).join("；") : null);
    add("办理地点", "location", a.location);
    add("咨询电话", "phone", a.phone);
    add("收费标准", "fee", a.fee);
    return dl;
  }

  function questionnaire(a, fn) {
    const box = el("section", { class: "situations", id: "situations", "aria-label": "情形引导" });
    const answered = a.situations.filter((s) => s.answer).length;
    box.append(el("h3", { text: `请选择您的情形（${a.situations.length} 个问题，已答 ${answered} 个）` }),
      el("p", { class: "hint", text: "按您的回答，清单会划去不需要的材料；未回答的问题所涉及的材料标为“视情形”。" }));
    // the who / why questions first; with many questions, the item's own yes/no cases fold away
    const minor = (s) => ["generic", "variant", "cause"].includes(s.dimension) && !s.answer;
    const fold = a.situations.length > 5 && a.situations.some(minor)
      ? el("details", { class: "more-situations" }, el("summary", { text: `更多情形问题（${a.situations.filter(minor).length} 个）` }))
      : null;
    for (const s of a.situations) {
      const fs = el("fieldset", { class: "situation" + (s.answer ? " answered" : ""), "data-situation": s.id },
        el("legend", {}, s.question, fn(s.citation)));
      const opts = s.options.map((o) => ({ id: o.id, label: o.label }));
      if (s.answered_from !== "question") opts.push({ id: "", label: "暂不确定" });
      for (const o of opts) {
        const input = el("input", { type: "radio", name: "sit-" + s.id, value: o.id, "data-situation": s.id,
          checked: (s.answer || "") === o.id });
        fs.append(el("label", { class: "opt" }, input, o.label));
      }
      if (s.answered_from === "question") fs.append(el("span", { class: "from-q", text: "（已按您的问题选择，可更改）" }));
      (fold && minor(s) ? fold : box).append(fs);
    }
    if (fold) box.append(fold);
    return box;
  }

  function checklistTable(a, fn, isBundle) {
    const sits = new Map(a.situations.map((s) => [s.id, s]));
    const said = (cid) => {
      const i = cid.indexOf(":");
      const s = sits.get(cid.slice(0, i));
      const o = s && s.options.find((x) => x.id === cid.slice(i + 1));
      return s ? `${s.question} → ${o ? o.label : cid.slice(i + 1)}` : cid;
    };
    const head = ["", "序号", "材料名称", "您是否需要", "份数", "原件/复印件", "是否必需", "适用情形"];
    if (isBundle) head.push("来源事项");
    head.push("出处");
    const table = el("table", { class: "checklist", id: "checklist" },
      el("thead", {}, el("tr", {}, ...head.map((h) => el("th", { text: h })))));
    const tb = el("tbody");
    a.materials.forEach((m, i) => {
      const status = m.applies === true ? "需要" : m.applies === false ? "不需要" : "视情形";
      const why = m.applies === false ? "因为：" + m.excluded_by.map(said).join("；")
        : m.applies === null && m.pending.length ? "取决于：" + m.pending.map((p) => (sits.get(p) || { question: p }).question).join("；")
        : "";
      const box = el("input", { type: "checkbox", "aria-label": "已准备：" + m.name, "data-name": m.name,
        checked: state.prepared.has(m.name) });
      const cites = el("td", { class: "cite", "data-label": "出处" });
      for (const c of m.citations) cites.append(fn(c));
      if (!m.citations.length) cites.append("未找到原文");
      const cells = [
        el("td", { class: "c tick" }, box),
        el("td", { class: "c num", text: String(i + 1) }),
        el("td", { class: "name" }, el("span", { class: "mname", text: m.name }),
          m.one_of ? el("div", { class: "why", text: "任选其一：" + m.one_of.join("、") }) : null),
        el("td", { class: "applies", "data-label": "您是否需要" }, el("strong", { text: status }),
          why ? el("div", { class: "why", text: why }) : null),
        el("td", { class: "c brief", "data-label": "份数", text: m.copies || "—" }),
        el("td", { class: "brief", "data-label": "原件/复印件", text: m.original_or_copy || "—" }),
        el("td", { class: "brief" + (m.required === true ? " req-yes" : ""), "data-label": "是否必需", text: yesNo(m.required) }),
        el("td", { "data-label": "适用情形", text: m.condition || "—" }),
      ];
      if (isBundle) cells.push(el("td", { "data-label": "来源事项", text: (m.source_titles || []).join("；") }));
      cells.push(cites);
      const cls = m.applies === true ? "applies-yes" : m.applies === false ? "applies-no" : "applies-open";
      tb.append(el("tr", { class: cls, "data-applies": String(m.applies) }, ...cells));
    });
    table.append(tb);
    return table;
  }

  function renderAnswer(a) {
    const box = $("answer");
    box.replaceChildren();
    const card = el("div", { class: "answer-card", id: "answer-card" });
    box.append(card);
    if (!a.item) { renderNoItem(card, a); return; }
    const fn = footnotes();
    const it = a.item;
    const isBundle = it.kind === "bundle";
    card.append(
      el("h2", {}, it.title, isBundle ? el("span", { class: "badge kind-bundle", text: "一件事" }) : null),
      el("div", { class: "meta" }, it.department || "", " · ", el("a", { href: docHref(it.doc_id) }, it.doc_id)),
      keyFacts(a, fn),
      el("div", { class: "toolbar" }, el("button", { type: "button", id: "print-btn" }, "打印清单")));
    if (a.understood.length) {
      const u = el("div", { class: "understood", id: "understood" }, el("strong", { text: "已从您的问题中理解：" }));
      for (const x of a.understood) {
        u.append(el("span", { class: "u" + (x.overridden ? " overridden" : "") },
          `${x.question} → ${x.label}（“${x.phrase}”）` + (x.overridden ? "，已按您的选择更改" : "")));
      }
      card.append(u);
    }
    if (a.situations.length) card.append(questionnaire(a, fn));
    const n = { yes: 0, no: 0, open: 0 };
    for (const m of a.materials) n[m.applies === true ? "yes" : m.applies === false ? "no" : "open"] += 1;
    card.append(el("h3", { id: "checklist-title" }, `申请材料清单（共 ${a.materials.length} 项）`,
      a.situations.length ? el("span", { class: "counts", text: `需要 ${n.yes} · 不需要 ${n.no} · 视情形 ${n.open}` }) : null));
    card.append(checklistTable(a, fn, isBundle));
    if (a.conditions) {
      card.append(el("h3", { text: "受理条件" }),
        el("p", { class: "conditions" }, a.conditions, fn((a.field_citations || {}).conditions)));
    }
    if (isBundle && a.members.length) {
      const ul = el("ul", { class: "members" });
      for (const m of a.members) ul.append(el("li", {}, el("a", { href: docHref(m.doc_id) }, m.title),
        m.department ? `（${m.department}）` : ""));
      card.append(el("h3", { text: `包含 ${a.members.length} 个事项` }), ul);
    }
    card.append(el("p", { class: "reason", text: "为什么是这个事项：" + a.reason }));
    for (const note of a.notes || []) card.append(el("div", { class: "notice", text: note }));
    const det = el("details", { class: "passages" }, el("summary", { text: `引用原文（${a.citations.length} 段）` }));
    for (const h of a.citations) {
      det.append(el("div", { class: "passage" }, el("strong", { text: `${h.title} · ${h.section}` }), "\n", h.snippet,
        "\n", el("span", { class: "cite" }, citeLink(h.citation))));
    }
    card.append(det);
    if (a.alternatives.length) {
      const alts = el("div", { class: "alts-block" }, el("h3", { text: "其他相关事项" }));
      const ul = el("ul", { class: "alts" });
      for (const h of a.alternatives) ul.append(el("li", {}, el("a", { href: "#", class: "alt-answer", "data-title": h.title }, h.title),
        " ", el("span", { class: "cite", text: h.department || "" })));
      alts.append(ul);
      card.append(alts);
    }
    setStatus(`已找到事项“${it.title}”，共 ${a.materials.length} 项材料` +
      (a.situations.length ? `，其中需要 ${n.yes} 项、不需要 ${n.no} 项、视情形 ${n.open} 项` : ""));
  }

  async function doAnswer(q) {
    if (q !== state.q) { state.q = q; state.prepared = new Set(); }
    const p = new URLSearchParams({ q });
    const sit = situationParam();
    if (sit) p.set("situation", sit);
    setStatus("正在查询办事材料…");
    let a;
    try {
      a = await getJSON("/answer?" + p);
    } catch (e) {
      if (!(sit && e.status === 422)) throw e;
      state.chosen = {};  // answers kept in the address for another item: ask without them
      a = await getJSON("/answer?" + new URLSearchParams({ q }));
    }
    // the answers in force from the request are the ones this page chose; drop any the item does not ask
    state.chosen = Object.fromEntries(a.situations.filter((s) => s.answered_from === "request").map((s) => [s.id, s.answer]));
    renderAnswer(a);
  }

  // answering a question asks the service again with situation=…: one rule decides, the server's
  async function answerSituation(sid, oid) {
    if (oid) state.chosen[sid] = oid; else delete state.chosen[sid];
    const y = window.scrollY;
    try {
      await doAnswer(state.q);
      keepUrl();
      window.scrollTo(0, y);
    } catch (e) {
      setStatus("出错了：" + e.message, true);
    }
  }

  function keepUrl() {
    const url = new URL(location.href);
    url.searchParams.set("q", $("q").value.trim());
    url.searchParams.set("tab", view);
    const sit = view === "answer" ? situationParam() : "";
    if (sit) url.searchParams.set("situation", sit); else url.searchParams.delete("situation");
    history.replaceState(null, "", url);
  }

  async function run() {
    const q = $("q").value.trim();
    if (!q) { setStatus("请输入检索内容", true); return; }
    if (q !== state.q) state.chosen = {};
    keepUrl();
    try {
      if (view === "search") await doSearch(q); else await doAnswer(q);
    } catch (e) {
      setStatus("出错了：" + e.message, true);
    }
  }

  $("search-form").addEventListener("submit", (ev) => { ev.preventDefault(); run(); });
  for (const t of document.querySelectorAll(".tab")) {
    t.addEventListener("click", () => {
      switchView(t.dataset.view);
      if (t.dataset.view === "match") setStatus("");
      else if ($("q").value.trim()) run();
    });
  }
  document.addEventListener("click", (ev) => {
    const t = ev.target;
    if (!(t instanceof Element)) return;
    if (t.id === "print-btn") { window.print(); return; }
    if (t.classList.contains("example")) { ev.preventDefault(); $("q").value = t.textContent; run(); return; }
    if (t.classList.contains("alt-answer")) { ev.preventDefault(); $("q").value = t.dataset.title + "需要什么材料"; run(); }
  });
  document.addEventListener("change", (ev) => {
    const t = ev.target;
    if (!(t instanceof HTMLInputElement)) return;
    if (t.type === "radio" && t.dataset.situation) answerSituation(t.dataset.situation, t.value);
    if (t.type === "checkbox" && t.dataset.name !== undefined) {
      if (t.checked) state.prepared.add(t.dataset.name); else state.prepared.delete(t.dataset.name);
    }
  });

  // shared with match.js
  window.GovUI = { el, citeLink, getJSON, setStatus, docHref, safeUrl, validityBadge, validityLine, today, KIND };

  // the kind selector offers only the kinds the served index holds
  getJSON("/health").then((h) => {
    const kinds = h && h.kinds;
    if (!kinds) return;
    for (const opt of Array.from($("kind").options)) {
      if (opt.value && !kinds[opt.value]) opt.remove();
    }
    for (const k of Object.keys(kinds)) {
      if (!Array.from($("kind").options).some((o) => o.value === k)) {
        $("kind").append(el("option", { value: k, text: KIND[k] || k }));
      }
    }
  }).catch(() => {});

  const params = new URLSearchParams(location.search);
  const tab = params.get("tab");
  switchView(tab === "answer" || tab === "match" ? tab : "search");
  if (params.get("q") && tab !== "match") {
    $("q").value = params.get("q");
    state.q = params.get("q").trim();
    for (const part of (params.get("situation") || "").split(",")) {
      const i = part.indexOf(":");
      if (i > 0) state.chosen[part.slice(0, i)] = part.slice(i + 1);
    }
    run();
  }
})();
