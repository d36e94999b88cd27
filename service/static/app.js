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

  function setStatus(msg, isError) {
    const s = $("status");
    s.textContent = msg || "";
    s.classList.toggle("error", !!isError);
  }

  async function getJSON(url) {
    const r = await fetch(url, { headers: { Accept: "application/json" } });
    let body = null;
    try { body = await r.json(); } catch (e) { body = null; }
    if (!r.ok) {
      let d = body && body.detail;
      if (Array.isArray(d)) d = d.map((x) => (x.loc ? x.loc.join(".") + "：" : "") + x.msg).join("；");
      throw new Error(`${r.status} ${d || r.statusText}`);
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
    $("view-search").hidden = v !== "search";
    $("view-answer").hidden = v !== "answer";
    $("options").hidden = v !== "search";
    $("go").textContent = v === "search" ? "搜索" : "查询材料";
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
        h.department ? el("span", { class: "dept", text: h.department }) : null,
        el("span", { class: "score", text: "相关度 " + h.score.toFixed(3) }),
        h.confidence != null ? el("span", { class: "score", text: "置信度 " + Math.round(h.confidence * 100) + "%" }) : null);
      const ext = safeUrl(h.url);
      ol.append(el("li", { class: "result", "data-doc-id": h.doc_id },
        el("h3", {}, el("a", { href: docHref(h.doc_id), class: "title-link" }, h.title)),
        meta,
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
    setStatus("正在检索…");
    renderHits(await getJSON("/search?" + p));
  }

  // ---- materials view
  function yesNo(v) { return v === true ? "必需" : v === false ? "非必需" : "—"; }

  function renderAnswer(a) {
    const box = $("answer");
    box.replaceChildren();
    const card = el("div", { class: "answer-card", id: "answer-card" });
    box.append(card);
    if (!a.item) {
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
      return;
    }
    const it = a.item;
    const isBundle = it.kind === "bundle";
    card.append(
      el("h2", {}, it.title, isBundle ? el("span", { class: "badge kind-bundle", text: "一件事" }) : null),
      el("div", { class: "meta" }, it.department || "", " · ", el("a", { href: docHref(it.doc_id) }, it.doc_id)),
      el("p", { class: "reason", text: "为什么是这个事项：" + a.reason }),
      el("div", { class: "toolbar" }, el("button", { type: "button", id: "print-btn" }, "打印清单")));
    if (isBundle && a.members.length) {
      const ul = el("ul", { class: "members" });
      for (const m of a.members) ul.append(el("li", {}, el("a", { href: docHref(m.doc_id) }, m.title),
        m.department ? `（${m.department}）` : ""));
      card.append(el("h3", { text: `包含 ${a.members.length} 个事项` }), ul);
    }
    card.append(el("h3", { text: `申请材料清单（共 ${a.materials.length} 项）` }));
    const head = ["", "序号", "材料名称", "份数", "原件/复印件", "是否必需", "适用情形"];
    if (isBundle) head.push("来源事项");
    head.push("出处");
    const table = el("table", { class: "checklist", id: "checklist" },
      el("thead", {}, el("tr", {}, ...head.map((h) => el("th", { text: h })))));
    const tb = el("tbody");
    a.materials.forEach((m, i) => {
      const cells = [
        el("td", { class: "c" }, el("input", { type: "checkbox", "aria-label": "已准备：" + m.name })),
        el("td", { class: "c", text: String(i + 1) }),
        el("td", { text: m.name }),
        el("td", { class: "c", text: m.copies || "—" }),
        el("td", { text: m.original_or_copy || "—" }),
        el("td", { class: m.required === true ? "req-yes" : "", text: yesNo(m.required) }),
        el("td", { text: m.condition || "—" }),
      ];
      if (isBundle) cells.push(el("td", { text: (m.source_titles || []).join("；") }));
      const cites = el("td", { class: "cite" });
      for (const c of m.citations) cites.append(citeLink(c, isBundle), el("br"));
      if (!m.citations.length) cites.append("未找到原文");
      cells.push(cites);
      tb.append(el("tr", {}, ...cells));
    });
    table.append(tb);
    card.append(table);

    const facts = el("dl", { class: "facts" });
    const fc = a.field_citations || {};
    const add = (label, key, value) => {
      if (!value) return;
      facts.append(el("dt", { text: label }), el("dd", {}, value, fc[key] ? el("span", { class: "cite" }, "　", citeLink(fc[key])) : null));
    };
    if (a.time_limit) {
      add("办理时限", "time_limit", [a.time_limit.legal && "法定 " + a.time_limit.legal,
        a.time_limit.promised && "承诺 " + a.time_limit.promised].filter(Boolean).join("；"));
    }
    add("办理地点", "location", a.location);
    add("咨询电话", "phone", a.phone);
    add("收费标准", "fee", a.fee);
    add("受理条件", "conditions", a.conditions);
    if (facts.childElementCount) card.append(el("h3", { text: "办理信息" }), facts);
    for (const n of a.notes || []) card.append(el("div", { class: "notice", text: n }));

    const det = el("details", { class: "passages", open: true }, el("summary", { text: `引用原文（${a.citations.length} 段）` }));
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
    setStatus(`已找到事项“${it.title}”，共 ${a.materials.length} 项材料`);
  }

  async function doAnswer(q) {
    setStatus("正在查询办事材料…");
    renderAnswer(await getJSON("/answer?" + new URLSearchParams({ q })));
  }

  async function run() {
    const q = $("q").value.trim();
    if (!q) { setStatus("请输入检索内容", true); return; }
    const url = new URL(location.href);
    url.searchParams.set("q", q);
    url.searchParams.set("tab", view);
    history.replaceState(null, "", url);
    try {
      if (view === "search") await doSearch(q); else await doAnswer(q);
    } catch (e) {
      setStatus("出错了：" + e.message, true);
    }
  }

  $("search-form").addEventListener("submit", (ev) => { ev.preventDefault(); run(); });
  for (const t of document.querySelectorAll(".tab")) {
    t.addEventListener("click", () => { switchView(t.dataset.view); if ($("q").value.trim()) run(); });
  }
  document.addEventListener("click", (ev) => {
    const t = ev.target;
    if (!(t instanceof Element)) return;
    if (t.id === "print-btn") { window.print(); return; }
    if (t.classList.contains("example")) { ev.preventDefault(); $("q").value = t.textContent; run(); return; }
    if (t.classList.contains("alt-answer")) { ev.preventDefault(); $("q").value = t.dataset.title + "需要什么材料"; run(); }
  });

  const params = new URLSearchParams(location.search);
  switchView(params.get("tab") === "answer" ? "answer" : "search");
  if (params.get("q")) { $("q").value = params.get("q"); run(); }
})();
