"""Bad input through the real ingestion: ``run_ingest`` on a temp data folder laid out like
../shared/data, with invented content and every kind of damage: truncated JSON lines, a GBK-
and a Big5-encoded file (JSONL and HTML), an empty page, a giant page (several MB), binary
files. Everything usable is ingested, each problem is reported with its file (and line), and
the counts add up."""
import json
import random

import pytest

from ingest import run_ingest
from ingest.chunk import check_tiling

GIANT_PARAGRAPHS = 12000  # ≈ 4 MB of HTML


def _jsonl(path, records, encoding="utf-8", extra_lines=()):
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [json.dumps(r, ensure_ascii=False) for r in records] + list(extra_lines)
    path.write_bytes(("\n".join(lines) + "\n").encode(encoding))


def _item(code, name, dept, materials):
    return {"TASK_CODE": code, "TASK_NAME": name, "DEPT_NAME": dept, "AREA_CODE_TEXT": "示例省",
            "TASK_TYPE_TEXT": "行政许可", "handle_time": "20", "handle_time_limit": "5",
            "accept_standard": "申请人符合示例条件。", "consult_phone": "0000-12345678",
            "handle_location": "示例市政务服务中心一楼", "material_intro": materials,
            "URL": f"https://example.gov.cn/guide/{code}"}


def _page(title, body_html, charset="UTF-8", home="首页"):
    return (f'<!DOCTYPE html><html><head><meta charset="{charset}"><meta name="ArticleTitle" content="{title}">'
            f'<meta name="PubDate" content="2024-03-01 09:00"></head><body><nav class="navigator">'
            f'<a href="/">{home}</a></nav><div class="article"><div class="article-content" id="zoomcon">'
            f"{body_html}</div></div></body></html>")


@pytest.fixture(scope="module")
def ingested(tmp_path_factory):
    root = tmp_path_factory.mktemp("bad")
    data = root / "data"
    rng = random.Random(7)

    # Guangdong items: two good, a truncated line, a non-object line, a record without TASK_CODE
    good = [_item("T-GOOD-1", "示例餐饮服务许可", "示例市市场监督管理局", ["营业执照", "身份证明"]),
            _item("T-GOOD-2", "示例道路运输证补办", "示例市交通运输局", "无")]
    truncated = json.dumps(_item("T-CUT", "被截断的事项", "示例局", ["材料"]), ensure_ascii=False)[:90]
    _jsonl(data / "service-items/guangdong/items.jsonl", good,
           extra_lines=[truncated, "[1, 2, 3]", json.dumps({"TASK_NAME": "没有编号的事项"}, ensure_ascii=False)])

    # Beijing Q&A, the whole file GBK-encoded; one record truncated
    qa = [{"id": "bjqa-9001", "unit": "示例人社局", "answer": "办理社会保障卡补卡，请携带本人身份证到就近网点申请。"},
          {"id": "bjqa-9002", "unit": "示例公积金中心", "answer": "提取住房公积金需要提供购房合同和身份证明。"}]
    _jsonl(data / "qa/beijing/answers.jsonl", qa, encoding="gbk",
           extra_lines=['{"id": "bjqa-9003", "unit": "示例局", "answer": "这一行没有'])

    # industry policies, Big5-encoded (traditional characters), plus a blank line and a truncated one
    ind = [{"id": "industry-x-01", "title_en": "Example Measures on Digital Economy",
            "text": "關於促進數字經濟發展的若干措施\n第一條 為推動產業升級，制定本措施。\n第二條 對符合條件的企業給予獎勵。"},
           {"id": "industry-x-02", "title_en": "Example Guide",
            "text": "申報指南\n一、申報條件：在本市註冊的企業。\n二、申報材料：申請表、營業執照。"}]
    _jsonl(data / "policies/industry/policies.jsonl", ind, encoding="big5", extra_lines=["", '{"id": "industry-x-03"'])

    # climate: one good record, one without text
    _jsonl(data / "policies/climate/policies.jsonl",
           [{"id": "climate-x-1", "title": "示例节能通知", "year": "2012", "text": "示例节能通知\n一、加强节能管理。\n二、落实责任。"},
            {"id": "climate-x-2", "title": "空记录", "text": ""}])

    # guangan catalogue: truncated JSON (the whole file is one record set)
    (data / "service-items/guangan").mkdir(parents=True)
    (data / "service-items/guangan/catalog.json").write_text('[{"department": "示例局", "items": [{"main_', "utf-8")

    # govcn: index with a good page, a missing page and a truncated line
    gov = data / "policies/govcn"
    (gov / "pages").mkdir(parents=True)
    _jsonl(gov / "index.jsonl",
           [{"id": "govcn-901", "file": "pages/govcn-901.html", "title": "国务院关于示例工作的通知", "issuer": "国务院",
             "doc_number": "国发〔2099〕1号", "url": "http://example.gov.cn/901"},
            {"id": "govcn-902", "file": "pages/govcn-902.html", "title": "缺页的文件"}],
           extra_lines=['{"id": "govcn-903", "file": "pages/gov'])
    (gov / "pages/govcn-901.html").write_text(
        _page("国务院关于示例工作的通知", "<p>各省、自治区、直辖市人民政府：</p><p>一、总体要求。做好示例工作。</p>"
              "<p>二、保障措施。加强组织领导。</p>"), "utf-8")

    # guangzhou pages: good UTF-8, GBK and Big5 pages, an empty page, a giant page, binary files
    gz = data / "policies/guangzhou/pages"
    gz.mkdir(parents=True)
    (gz / "01_示例办法.html").write_text(_page("示例市小店扶持办法", "<p>第一条 为支持小店发展，制定本办法。</p>"
                                                                  "<p>第二条 小店可申请租金补贴。</p>"), "utf-8")
    (gz / "02_gbk页面.html").write_bytes(
        _page("示例区托育机构备案指南", "<p>托育机构备案需要提交营业执照和场地证明。</p>", "gbk").encode("gbk"))
    (gz / "03_big5頁面.html").write_bytes(
        _page("示例區長者乘車優惠申請", "<p>年滿六十五歲的長者可申請乘車優惠，須攜帶身份證明。</p>", "big5", "首頁").encode("big5"))
    (gz / "04_空页面.html").write_bytes(b"")
    para = "<p>第{n}条 本条规定示例事项的办理要求，申请人应当提交相关材料并按时办理，逾期不予受理。</p>"
    (gz / "05_巨型页面.html").write_text(
        _page("示例市超长汇编", "".join(para.format(n=n) for n in range(1, GIANT_PARAGRAPHS + 1))), "utf-8")
    (gz / "06_二进制.html").write_bytes(bytes(rng.randrange(256) for _ in range(4096)))
    # a page whose head is fine but whose body is binary: its title must not smuggle garbage in
    (gz / "08_损坏页面.html").write_bytes(
        '<html><head><meta charset="utf-8"><title>损坏的页面</title></head><body><p>'.encode()
        + bytes(rng.randrange(256) for _ in range(4096)) + b"</p></body></html>")
    (gz / "07_扫描件.pdf").write_bytes(b"%PDF-1.4\n" + bytes(rng.randrange(256) for _ in range(4096)))

    # seeds (beside the data folder): a GBK article and a binary file
    seeds = root / "seeds"
    seeds.mkdir()
    (seeds / "s1_gbk.txt").write_bytes(
        "示例市优化营商环境新闻\n示例市推出企业开办一网通办，办理时间压缩到一天。\n企业可在线申领营业执照和公章。".encode("gbk"))
    (seeds / "s2_binary.txt").write_bytes(bytes(rng.randrange(256) for _ in range(2048)))

    out = root / "build"
    report = run_ingest(data, out)
    docs = [json.loads(x) for x in (out / "docs.jsonl").read_text("utf-8").splitlines() if x.strip()]
    chunks = [json.loads(x) for x in (out / "chunks.jsonl").read_text("utf-8").splitlines() if x.strip()]
    return report, docs, chunks, out


def _problems(report, source):
    return report["sources"][source]["problems"]


def _has(problems, where_part, why_part=""):
    return any(where_part in p["where"] and why_part in p["why"] for p in problems)


def test_counts_add_up(ingested):
    report, docs, chunks, out = ingested
    assert report["documents"] == len(docs) == sum(s["documents"] for s in report["sources"].values())
    assert report["chunks"] == len(chunks) == sum(s["chunks"] for s in report["sources"].values())
    for name, s in report["sources"].items():
        assert s["records"] == s["documents"] + s["skipped"] + s["duplicates"], name
        # every skipped record has a reported problem
        assert len(s["problems"]) >= s["skipped"], name
    assert json.loads((out / "report.json").read_text("utf-8")) == report
    assert len({d["doc_id"] for d in docs}) == len(docs)


def test_good_records_ingested_next_to_bad_ones(ingested):
    _, docs, _, _ = ingested
    ids = {d["doc_id"] for d in docs}
    for doc_id in ("T-GOOD-1", "T-GOOD-2", "bjqa-9001", "bjqa-9002", "industry-x-01", "industry-x-02",
                   "climate-x-1", "govcn-901", "01_示例办法", "02_gbk页面", "03_big5頁面", "05_巨型页面", "s1_gbk"):
        assert doc_id in ids, doc_id
    for doc_id in ("T-CUT", "bjqa-9003", "industry-x-03", "climate-x-2", "govcn-902", "govcn-903",
                   "04_空页面", "06_二进制", "07_扫描件", "08_损坏页面", "s2_binary"):
        assert doc_id not in ids, doc_id


def test_truncated_lines_reported_with_file_and_line(ingested):
    report = ingested[0]
    gd = _problems(report, "guangdong")
    assert _has(gd, "service-items/guangdong/items.jsonl:3", "malformed JSON")
    assert _has(gd, "items.jsonl:4", "JSON object")
    assert _has(gd, "items.jsonl:5")
    assert report["sources"]["guangdong"]["skipped"] == 3
    assert _has(_problems(report, "beijing_qa"), "qa/beijing/answers.jsonl:3", "malformed JSON")
    assert _has(_problems(report, "industry"), "policies/industry/policies.jsonl:4", "malformed JSON")
    assert _has(_problems(report, "climate"), "climate/policies.jsonl:2", "no text")
    assert _has(_problems(report, "govcn"), "index.jsonl:3")
    assert _has(_problems(report, "govcn"), "govcn-902")
    assert _has(_problems(report, "guangan"), "service-items/guangan/catalog.json", "malformed JSON")


def test_gbk_and_big5_files_decoded(ingested):
    _, docs, _, _ = ingested
    by_id = {d["doc_id"]: d for d in docs}
    assert "社会保障卡" in by_id["bjqa-9001"]["text"] and by_id["bjqa-9001"]["department"] == "示例人社局"
    # Big5 traditional text decoded, then turned into simplified by cleaning
    assert "关于促进数字经济发展的若干措施" in by_id["industry-x-01"]["text"]
    assert "营业执照" in by_id["industry-x-02"]["text"]
    assert "托育机构备案需要提交营业执照" in by_id["02_gbk页面"]["text"]
    assert "年满六十五岁的长者可申请乘车优惠" in by_id["03_big5頁面"]["text"]
    assert "企业开办一网通办" in by_id["s1_gbk"]["text"]
    for d in docs:
        assert "\ufffd" not in d["text"] and "\ufffd" not in d["title"], d["doc_id"]


def test_empty_and_binary_pages_reported_by_file(ingested):
    report = ingested[0]
    gz = _problems(report, "guangzhou")
    for name in ("04_空页面.html", "06_二进制.html", "07_扫描件.pdf", "08_损坏页面.html"):
        assert _has(gz, name), (name, gz)
    assert _has(gz, "06_二进制.html", "binary") and _has(gz, "08_损坏页面.html", "binary")
    assert report["sources"]["guangzhou"]["skipped"] == 4
    assert _has(_problems(report, "seeds"), "s2_binary.txt")


def test_giant_page_ingested_whole_and_tiled(ingested):
    _, docs, chunks, _ = ingested
    giant = next(d for d in docs if d["doc_id"] == "05_巨型页面")
    assert len(giant["text"]) > 400_000
    assert f"第{GIANT_PARAGRAPHS}条" in giant["text"]  # nothing cut off at the end
    from core.records import Chunk

    own = [Chunk(**c) for c in chunks if c["doc_id"] == "05_巨型页面"]
    assert len(own) > 1000
    check_tiling(giant["text"], own)
    assert max(len(c.text) for c in own) <= 400
