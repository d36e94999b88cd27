"""Writes this folder's docs.jsonl + chunks.jsonl: a tiny invented build for the service tests.

Everything here is invented (示例市 is not a real city). Run it again after changing the
content: ``python tests/data/build_api/make_build.py``. Service items are rendered with
:func:`ingest.structure.render_service_item`, their materials located with
:func:`ingest.structure.locate_materials` and chunked with :func:`ingest.chunk.chunk`, exactly as ingestion does, so sections and spans look like a real build's.
"""
from __future__ import annotations

import json
from pathlib import Path

from core.build import seal
from core.records import Document
from ingest.chunk import check_tiling, chunk
from ingest.structure import locate_materials, render_service_item

HERE = Path(__file__).resolve().parent
SAMR = "示例市市场监督管理局"


def m(name, copies="1", original_or_copy="原件", required=True, condition=None):
    return {"name": name, "copies": copies, "original_or_copy": original_or_copy, "required": required,
            "condition": condition}


ITEMS = [
    dict(
        doc_id="item-food-business-license", title="食品经营许可（新办）", department=SAMR, region="示例市",
        fields=dict(
            summary="从事食品销售和餐饮服务活动，应当依法取得食品经营许可。",
            materials=[
                m("食品经营许可申请书"),
                m("营业执照复印件", original_or_copy="复印件"),
                m("法定代表人（负责人）身份证明", original_or_copy="原件和复印件"),
                m("与食品经营相适应的主要设备设施布局、操作流程等文件"),
                m("食品安全管理制度目录"),
                m("委托书", required=False, condition="委托他人代为办理的"),
            ],
            conditions="申请人已取得营业执照等合法主体资格；具有与经营的食品品种、数量相适应的经营场所。",
            process=["申请", "受理", "审查", "决定", "送达"],
            time_limit_legal="20个工作日", time_limit_promised="5个工作日", fee="不收费",
            location="示例市政务服务中心二楼市场监管窗口（示例大道88号）",
            phone="0000-12345601", complaint_phone="12345",
            basis="《中华人民共和国食品安全法》第三十五条",
        ),
    ),
    dict(
        doc_id="item-individual-business-registration", title="个体工商户设立登记", department=SAMR,
        region="示例市",
        fields=dict(
            materials=[
                m("个体工商户登记（备案）申请书"),
                m("经营者身份证明", original_or_copy="复印件"),
                m("经营场所使用证明", original_or_copy="复印件"),
                m("委托书", required=False, condition="委托他人代为办理的"),
            ],
            conditions="有经营能力的自然人可以申请登记为个体工商户。",
            time_limit_legal="3个工作日", time_limit_promised="即办", fee="不收费",
            location="示例市政务服务中心二楼市场监管窗口（示例大道88号）", phone="0000-12345602",
        ),
    ),
    dict(
        doc_id="item-fire-safety-inspection", title="公众聚集场所投入使用、营业前消防安全检查",
        department="示例市消防救援支队", region="示例市",
        fields=dict(
            materials=[
                m("公众聚集场所投入使用、营业前消防安全检查申请表"),
                m("营业执照", original_or_copy="原件"),
                m("场所平面布置图", original_or_copy="原件"),
                m("消防安全制度和灭火应急疏散预案"),
            ],
            conditions="场所已依法通过消防验收或备案。",
            time_limit_legal="10个工作日", time_limit_promised="3个工作日", fee="不收费",
            location="示例市政务服务中心三楼消防窗口", phone="0000-12345603",
        ),
    ),
    dict(
        doc_id="item-drainage-permit", title="城镇污水排入排水管网许可", department="示例市水务局",
        region="示例市",
        fields=dict(
            materials=[
                m("排水许可申请表"),
                m("营业执照（复印件）", original_or_copy="复印件"),
                m("排水户内部排水管网、专用检测井、污水排放口位置和口径的图纸"),
            ],
            time_limit_legal="20个工作日", time_limit_promised="7个工作日", fee="不收费",
            location="示例市政务服务中心三楼水务窗口", phone="0000-12345604",
        ),
    ),
    dict(
        doc_id="item-passport", title="普通护照签发", department="示例市公安局出入境管理支队",
        region="示例市",
        fields=dict(
            materials=[m("居民身份证"), m("近期免冠彩色照片", copies="2")],
            conditions="具有中华人民共和国国籍的公民。",
            time_limit_legal="15个工作日", time_limit_promised="7个工作日", fee="120元/本",
            location="示例市出入境接待大厅", phone="0000-12345605",
        ),
    ),
    dict(
        doc_id="item-social-security-card", title="社会保障卡申领", department="示例市人力资源和社会保障局",
        region="示例市东区",
        fields=dict(
            materials=[m("居民身份证"), m("近期免冠照片", condition="无电子照片的")],
            time_limit_legal="30个工作日", time_limit_promised="10个工作日", fee="不收费",
            location="示例市东区社保服务大厅", phone="0000-12345606",
        ),
    ),
]

# Later stages of a matter: chosen only when the question names the stage (service.answer).
ITEMS += [
    dict(
        doc_id="item-individual-business-change", title="个体工商户变更登记", department=SAMR, region="示例市",
        fields=dict(
            materials=[m("个体工商户变更登记申请书"), m("营业执照正副本", original_or_copy="原件")],
            time_limit_legal="3个工作日", time_limit_promised="即办", fee="不收费",
            location="示例市政务服务中心二楼市场监管窗口（示例大道88号）", phone="0000-12345602",
        ),
    ),
    dict(
        doc_id="item-food-license-lookup", title="食品经营许可查询", department=SAMR, region="示例市",
        fields=dict(summary="查询食品经营许可证的发证信息。", phone="0000-12345601"),
    ),
    dict(
        doc_id="item-hk-macau-permit-renewal", title="往来港澳通行证换发", department="示例市公安局出入境管理支队",
        region="示例市",
        fields=dict(
            materials=[m("居民身份证"), m("原往来港澳通行证")],
            time_limit_legal="15个工作日", time_limit_promised="7个工作日", fee="60元/证",
            location="示例市出入境接待大厅", phone="0000-12345605",
        ),
    ),
]

BUNDLE = dict(
    doc_id="bundle-open-restaurant", title="开办餐馆“一件事”", department="示例市政务服务数据管理局",
    region="示例市",
    fields=dict(
        summary="开办餐馆涉及的个体工商户登记、食品经营许可、消防安全检查、排水许可一次申请、并联办理。",
        members=["item-individual-business-registration", "item-food-business-license",
                 "item-fire-safety-inspection", "item-drainage-permit"],
        materials=[
            m("开办餐馆“一件事”联办申请表"),
            m("营业执照", original_or_copy="复印件"),
            m("经营者身份证明", original_or_copy="复印件"),
        ],
        time_limit_promised="10个工作日", fee="不收费",
        location="示例市政务服务中心一楼“一件事”综合窗口", phone="0000-12345600",
    ),
)

POLICY_TEXT = """关于组织申报2025年度示例市中小企业数字化转型专项资金的通知
各有关企业：
为推动中小企业数字化转型，现将2025年度专项资金申报工作通知如下。
一、支持对象和申报条件
（一）在示例市注册、具有独立法人资格的中小企业。
（二）近三年无严重失信行为。
二、支持标准
按项目实际投入的30%给予补助，单个企业最高不超过50万元。
三、申报材料
（一）专项资金申请表；（二）营业执照复印件；（三）项目实施方案；（四）上年度财务审计报告。
四、申报时间和方式
2025年4月1日至4月30日，通过示例市企业服务平台在线申报。
五、联系方式
示例市工业和信息化局中小企业科，电话0000-12345607。"""

# Markup inside document text must be shown as text by the page (tests/test_page.py).
MARKUP_TEXT = ('问：页面标记转义测试怎么显示？\n答：这段答复故意含有网页标记 <img src=x onerror="window.__xss=1"> '
               '和 <script>window.__xss=2</script> 以及 <b>粗体</b>，页面必须原样显示为文字。')

QA_TEXT = ("问：开餐馆可以在住宅楼里开吗？\n答：根据示例市规定，禁止在居民住宅楼、未配套设立专用烟道的商住综合楼"
           "以及商住综合楼内与居住层相邻的商业楼层内新建、改建、扩建产生油烟的餐饮服务项目。")


def documents() -> list[Document]:
    docs = []
    titles = {it["doc_id"]: it["title"] for it in ITEMS}
    for it in ITEMS:
        f = it["fields"]
        docs.append(Document(source="demo", kind="service_item", url=f"https://example.invalid/{it['doc_id']}",
                             text=render_service_item(it["title"], f), **it))
    b = dict(BUNDLE)
    b["fields"] = dict(b["fields"], member_titles=[titles[i] for i in b["fields"]["members"]])
    docs.append(Document(source="demo", kind="bundle", url=f"https://example.invalid/{b['doc_id']}",
                         text=render_service_item(b["title"], b["fields"]), **b))
    docs.append(Document(doc_id="policy-digital-transform", source="demo", kind="policy",
                         title=POLICY_TEXT.splitlines()[0], text=POLICY_TEXT, department="示例市工业和信息化局",
                         region="示例市", date="2025-03-10", doc_number="示工信〔2025〕12号",
                         url="https://example.invalid/policy-digital-transform"))
    docs.append(Document(doc_id="qa-restaurant-residential", source="demo-qa", kind="qa",
                         title="开餐馆可以在住宅楼里开吗", text=QA_TEXT, department="示例市生态环境局",
                         region="示例市东区", date="2024-06-01"))
    docs.append(Document(doc_id="qa-markup-escape", source="demo-qa", kind="qa", title="页面标记转义测试<b>粗体</b>",
                         text=MARKUP_TEXT, department="示例市政务服务数据管理局", region="示例市"))
    return docs


def main() -> None:
    docs = [locate_materials(d) for d in documents()]  # as ingestion does: each material's span
    with open(HERE / "docs.jsonl", "w", encoding="utf-8") as fd, \
            open(HERE / "chunks.jsonl", "w", encoding="utf-8") as fc:
        for d in docs:
            fd.write(d.model_dump_json() + "\n")
            chunks = chunk(d)
            check_tiling(d.text, chunks)
            for c in chunks:
                fc.write(c.model_dump_json() + "\n")
    seal(HERE)  # report.json names the pair's hash, as ingest writes it
    print(f"wrote {len(docs)} documents to {HERE}")


if __name__ == "__main__":
    main()
