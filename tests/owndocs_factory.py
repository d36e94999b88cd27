"""Real-world-like documents the own-documents tests write for themselves (nothing is copied
from real data): a guide and a policy printed to PDF by headless Chromium, the same as DOCX
(python-docx), a scanned PDF (text rendered to an image with a CJK font, wrapped as a PDF
without a text layer), a saved web page with site chrome, text, Markdown, generic-schema
records, a ZIP, a broken PDF and files that must be reported rather than read."""
from __future__ import annotations

import json
import os
import shutil
import zipfile
from contextlib import contextmanager
from pathlib import Path

CHROMIUM = os.environ.get("GOVSEARCH_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
CJK_FONT = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")

GUIDE_TITLE = "示例市食品经营许可证核发办事指南"
MATERIALS = [  # name, form, copies, required, note
    ("食品经营许可申请书", "原件", "1", "必需", "申请人签字并盖章"),
    ("营业执照或者其他主体资格证明文件复印件", "复印件", "1", "必需", "无"),
    ("与食品经营相适应的主要设备设施布局、操作流程等文件", "原件", "1", "必需", ""),
    ("食品安全自查、从业人员健康管理、进货查验记录等食品安全规章制度", "原件", "1", "必需", ""),
    ("委托书及受托人身份证明", "原件和复印件", "各1", "非必需", "委托他人办理的提供"),
]
POLICY_TITLE = "示例市人民政府办公厅关于印发示例市小微企业首次贷款贴息办法的通知"
POLICY_NUMBER = "示府办规〔2024〕7号"
ARTICLES = [
    "第一条 为缓解小微企业融资难、融资贵问题，根据有关规定，结合本市实际，制定本办法。",
    "第二条 本办法所称首次贷款，是指小微企业在本市银行业金融机构首次取得的流动资金贷款。",
    "第三条 贴息标准为贷款实际利息的百分之五十，单户企业年度贴息金额不超过二十万元。",
    "第四条 本办法自2024年3月1日起施行，有效期三年。",
]
SCAN_LINES = ["示例区义务教育阶段学校招生工作细则", "一、招生对象为年满六周岁的适龄儿童。",
              "二、网上报名时间为五月七日至五月十一日。", "三、报名需提交户口簿和房产证明。"]


def have_chromium() -> bool:
    return Path(CHROMIUM).exists() or shutil.which("chromium") is not None


def guide_html(extra_rows: int = 0) -> str:
    rows = list(MATERIALS) + [(f"补充证明材料第{i}项", "复印件", "1", "非必需", "") for i in range(1, extra_rows + 1)]
    trs = "".join(f"<tr><td>{i}</td><td>{n}</td><td>{f}</td><td>{c}</td><td>{r}</td><td>{note}</td></tr>"
                  for i, (n, f, c, r, note) in enumerate(rows, 1))
    return f"""<!doctype html><html><head><meta charset="utf-8"><style>
body{{font-family:'WenQuanYi Micro Hei';font-size:12pt}} table{{border-collapse:collapse;width:100%}}
td,th{{border:1px solid #000;padding:4px}}</style></head><body>
<h1>{GUIDE_TITLE}</h1>
<table><tr><th>实施主体</th><td>示例市市场监督管理局</td><th>事项类型</th><td>行政许可</td></tr>
<tr><th>服务对象</th><td>企业法人、个体工商户</td><th>办件类型</th><td>承诺件</td></tr></table>
<h2>一、受理条件</h2><p>申请人应当取得营业执照等合法主体资格，具有与经营的食品品种、数量相适应的经营场所。</p>
<h2>二、申请材料</h2>
<table><tr><th>序号</th><th>材料名称</th><th>材料形式</th><th>份数</th><th>是否必需</th><th>备注</th></tr>{trs}</table>
<h2>三、办理时限</h2><p>法定办结时限：20个工作日</p><p>承诺办结时限：5个工作日</p>
<h2>四、办理地点</h2><p>示例市政务服务中心二楼市场监管窗口</p>
<h2>五、咨询电话</h2><p>0000-12345678</p></body></html>"""


def policy_html() -> str:
    arts = "".join(f"<p>{a}</p>" for a in ARTICLES)
    return f"""<!doctype html><html><head><meta charset="utf-8"><style>body{{font-family:'WenQuanYi Micro Hei';
font-size:14pt}} .c{{text-align:center}}</style></head><body><p class="c">示例市人民政府办公厅文件</p>
<p class="c">{POLICY_NUMBER}</p><h1 class="c">{POLICY_TITLE}</h1><p>各区人民政府，市政府各部门：</p>
<p>《示例市小微企业首次贷款贴息办法》已经市人民政府同意，现印发给你们，请认真贯彻执行。</p>
<h2 class="c">第一章 总则</h2>{arts}<p style="text-align:right">示例市人民政府办公厅</p>
<p style="text-align:right">2024年2月20日</p></body></html>"""


@contextmanager
def chromium():
    from playwright.sync_api import sync_playwright

    exe = CHROMIUM if Path(CHROMIUM).exists() else shutil.which("chromium")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=exe, args=ARGS, headless=True)
        try:
            yield b
        finally:
            b.close()


def print_pdf(browser, html: str, path: Path) -> Path:
    page = browser.new_page()
    page.set_content(html)
    page.pdf(path=str(path), format="A4")
    page.close()
    return path


def docx_guide(path: Path) -> Path:
    import docx

    d = docx.Document()
    d.core_properties.title = "示例区托育机构备案办事指南"
    d.add_heading("示例区托育机构备案办事指南", level=0)
    t = d.add_table(rows=2, cols=4)
    for cell, text in zip(t.rows[0].cells + t.rows[1].cells,
                          ["实施主体", "示例区卫生健康局", "事项类型", "其他行政权力", "服务对象", "法人", "办件类型", "承诺件"]):
        cell.text = text
    d.add_heading("受理条件", level=1)
    d.add_paragraph("已取得营业执照或事业单位法人证书，且经营范围包含托育服务。")
    d.add_heading("申请材料", level=1)
    t = d.add_table(rows=1, cols=4)
    for cell, text in zip(t.rows[0].cells, ["材料名称", "原件或复印件", "份数", "是否必需"]):
        cell.text = text
    for name, form, copies, req in [("托育机构备案书", "原件", "1", "必需"), ("营业执照副本", "复印件", "1", "必需"),
                                    ("场地平面图及消防验收材料", "复印件", "1", "必需"),
                                    ("从业人员健康证明", "复印件", "1", "容缺")]:
        cells = t.add_row().cells
        for cell, text in zip(cells, [name, form, copies, req]):
            cell.text = text
    d.add_heading("办理时限", level=1)
    d.add_paragraph("承诺办结时限：3个工作日")
    d.add_heading("咨询电话", level=1)
    d.add_paragraph("0000-87654321")
    d.save(path)
    return path


def docx_policy(path: Path) -> Path:
    import docx

    d = docx.Document()
    d.add_paragraph("示例市人力资源和社会保障局文件")
    d.add_paragraph("示人社规〔2025〕3号")
    d.add_heading("示例市一次性创业补贴实施办法", level=0)
    for a in ["第一条 为鼓励创业带动就业，制定本办法。", "第二条 首次创办小微企业的高校毕业生可申请一次性创业补贴。",
              "第三条 补贴标准为每户一万元。", "第四条 本办法自2025年7月1日起施行。"]:
        d.add_paragraph(a)
    d.add_paragraph("示例市人力资源和社会保障局")
    d.add_paragraph("2025年6月15日")
    d.save(path)
    return path


def scanned_pdf(path: Path, lines: list[str] = SCAN_LINES, pages: int = 1) -> Path:
    """Text drawn onto a white A4 image at 200 dpi, saved as a PDF with no text layer."""
    from PIL import Image, ImageDraw, ImageFont

    font = ImageFont.truetype(str(CJK_FONT), 44)
    images = []
    for _ in range(pages):
        img = Image.new("RGB", (1654, 2339), "white")
        draw = ImageDraw.Draw(img)
        for i, line in enumerate(lines):
            draw.text((150, 200 + i * 110), line, fill="black", font=font)
        images.append(img)
    images[0].save(path, "PDF", resolution=200, save_all=True, append_images=images[1:])
    return path


def web_page() -> str:
    return """<!doctype html><html><head><meta charset="utf-8"><title>示例区关于开展2025年度家政服务培训补贴申报的通知 - 示例区人民政府门户网站</title>
<meta name="ArticleTitle" content="示例区关于开展2025年度家政服务培训补贴申报的通知"><meta name="PubDate" content="2025-03-12">
<meta name="ContentSource" content="示例区人力资源和社会保障局"></head><body>
<div class="nav"><a href="/">首页</a><a href="/zwgk">政务公开</a><a href="/bsfw">办事服务</a><a href="/hdjl">互动交流</a></div>
<div class="breadcrumb">当前位置：首页 &gt; 政务公开 &gt; 通知公告</div>
<div class="article"><h1>示例区关于开展2025年度家政服务培训补贴申报的通知</h1>
<div class="article-content"><p>各有关单位：</p><p>为提升家政服务从业人员技能水平，现就2025年度家政服务培训补贴申报工作通知如下。</p>
<p>一、补贴对象为在本区登记的家政服务机构。</p><p>二、补贴标准为每人每期培训八百元。</p>
<p>三、申报时间为2025年4月1日至4月30日。</p></div></div>
<div class="related"><h3>相关推荐</h3><ul><li><a href="/1">示例区召开家政服务业座谈会</a></li><li><a href="/2">示例区家政服务网点一览</a></li></ul></div>
<div class="footer"><p>主办单位：示例区人民政府办公室</p><p>版权所有 示例区人民政府 ICP备00000000号</p></div>
<script>var x = "不应出现的脚本文字";</script></body></html>"""


def notice_text() -> str:
    return ("示例街道关于调整便民服务中心办公时间的公告\n\n"
            "自2025年5月1日起，示例街道便民服务中心办公时间调整为工作日上午九时至下午五时。\n"
            "周六上午提供社保、医保业务预约办理。\n")


def guide_markdown() -> str:
    return ("# 示例区居住证签注办事指南\n\n## 申请条件\n\n在本区居住满一年的持证人。\n\n## 申请材料\n\n"
            "| 材料名称 | 份数 | 是否必需 |\n|---|---|---|\n| 居住证原件 | 1 | 必需 |\n| 近期一寸照片 | 2 | 必需 |\n\n"
            "## 办理地点\n\n各街道便民服务中心\n")


def records_jsonl() -> str:
    recs = [
        {"id": "faq-001", "title": "社保卡丢了怎么补办", "text": "问：社保卡丢了怎么补办？\n答：携带本人身份证到任一合作银行网点申请补卡。",
         "kind": "qa", "department": "示例市人社局", "date": "2025/3/5"},
        {"title": "示例市老年人优待证申领", "text": "老年人优待证可在街道便民服务中心申领。",
         "fields": {"materials": ["身份证", {"name": "近期一寸照片", "copies": "1", "required": True}]}},
        {"id": "bad-kind", "text": "文本", "kind": "leaflet"},
    ]
    return "\n".join(json.dumps(r, ensure_ascii=False) for r in recs) + "\n"


def records_csv() -> str:
    return ("id,title,text,region,extra_note\n"
            "csv-1,示例市公积金提取指南,\"购房提取公积金需提供购房合同和身份证明。\",示例市,办事大厅\n"
            "csv-2,空记录,,示例市,\n")


def broken_pdf(path: Path, good_pdf: Path) -> Path:
    """The first third of a real PDF: cut off in transfer."""
    data = good_pdf.read_bytes()
    path.write_bytes(data[: len(data) // 3])
    return path


def build_folder(root: Path, browser=None) -> Path:
    """The test folder ``root/mydocs``; PDFs by Chromium only when ``browser`` is given."""
    docs = root / "mydocs"
    (docs / "指南").mkdir(parents=True)
    (docs / "政策").mkdir()
    (docs / "其他").mkdir()
    if browser is not None:
        print_pdf(browser, guide_html(), docs / "指南" / "食品经营许可.pdf")
        print_pdf(browser, policy_html(), docs / "政策" / "贴息办法.pdf")
        broken_pdf(docs / "其他" / "传输中断.pdf", docs / "指南" / "食品经营许可.pdf")
    docx_guide(docs / "指南" / "托育机构备案.docx")
    docx_policy(docs / "政策" / "创业补贴办法.docx")
    scanned_pdf(docs / "政策" / "招生细则扫描件.pdf")
    (docs / "其他" / "培训补贴通知.html").write_text(web_page(), "utf-8")
    (docs / "其他" / "办公时间公告.txt").write_text(notice_text(), "utf-8")
    (docs / "指南" / "居住证签注.md").write_text(guide_markdown(), "utf-8")
    (docs / "其他" / "问答.jsonl").write_text(records_jsonl(), "utf-8")
    (docs / "其他" / "公积金.csv").write_text(records_csv(), "utf-8")
    (docs / "其他" / "旧格式.doc").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512)
    (docs / ".DS_Store").write_bytes(b"\x00\x00\x00\x01Bud1")
    with zipfile.ZipFile(docs / "其他" / "打包.zip", "w") as zf:
        zf.writestr("附件/办公时间公告副本.txt", notice_text().replace("示例街道", "示例镇"))
        zf.writestr("附件/说明.xlsx", b"PK\x03\x04")
    os.symlink("..", docs / "其他" / "上一级")  # a loop: mydocs/其他/上一级 → mydocs
    return docs
