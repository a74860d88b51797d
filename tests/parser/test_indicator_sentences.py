"""The indicator sentences of the seeds and ``../shared/corpus`` read with the right comparator.

The table is hand-checked: each row is a sentence (as the parser cuts it), the comparator and the
basis its wording asks for. Skips where ``../shared`` is absent unless ``IPPLAN_REQUIRE_CORPUS=1``.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from planparser import parse_document

SHARED = Path(__file__).resolve().parents[2].parent / "shared"

EXPECTED: dict[str, list[tuple[str, str, str]]] = {
    "seeds/001_2aad04427f87e833.txt": [
        ("2010年达到年专利申请量5000件左右", "~", "level"),
        ("发明专利和职务专利申请占专利申请总量的40%以上", ">=", "level"),
        ("总结推广5户知识产权示范单位成功经验", "=", "level"),
        ("50户知识产权试点单位建立起比较完善的知识产权制度和运行机制", "=", "level"),
        ("培育100余户科技创新优势单位成为知识产权优势单位", ">=", "level"),
        ("建立100户骨干企业专利预警报告制度和专利信息数据库", "=", "level"),
        ("普及培训科技人员5万人次", "=", "level"),
        ("培养专利管理工作人员300人", "=", "level"),
        ("培养和形成一支50人左右的知识产权高级人才队伍", "~", "level"),
    ],
    "seeds/002_bce6911f58b7f67d.txt": [
        ("力争授权专利2件以上的企业数量达10家以上", ">=", "level"),
        ("培育知识产权试点(优势)企业3家以上", ">=", "level"),
        ("建立知识产权服务机构3家以上", ">=", "level"),
        ("服务机构和企业建立专利信息数据库1个以上", ">=", "level"),
    ],
    "seeds/004_0c25decaf25f363c.txt": [
        ("通过《企业知识产权管理规范》国家标准认证的企业达到700家", ">=", "level"),
        ("新增培育知识产权优势示范企业50家", ">=", "increment"),
        ("形成10个以上支撑产业发展和国际竞争的高价值专利组合", ">=", "level"),
        ("每万人有效发明专利拥有量达到75件", ">=", "level"),
        ("有效注册商标拥有量达到8.5万件", ">=", "level"),
        ("各类知识产权行政执法案件年结案率达到95%以上", ">=", "level"),
        ("从事知识产权代理、运营、维权、信息等服务的专业人才达到1000人以上", ">=", "level"),
        ("积极培养500名以上企业知识产权专业管理人才", ">=", "level"),
        ("知识产权专家人才达到100人", ">=", "level"),
    ],
    "corpus/01_guangzhou_2023_jiatingyisheng.html": [
        ("重点人群签约服务覆盖率达80%以上", ">=", "level"),
        ("重点人群续约率达80%以上", ">=", "level"),
        ("全人群和重点人群签约服务覆盖率每年提升1～3个百分点", ">=", "rise"),
        ("签约服务覆盖率达到75%以上", ">=", "level"),
        ("重点人群签约服务覆盖率力争达到95%", ">=", "level"),
        ("满意度达到90%左右", "~", "level"),
        ("力争每万常住人口家庭医生数不低于4人", ">=", "level"),
        ("到2025年不低于4.66人", ">=", "level"),
        ("力争2025年每千常住人口基层卫生人员数不低于3.5人", ">=", "level"),
        ("培养不少于3500名基层医生", ">=", "level"),
        ("为各区至少培育1家广州市家庭医生培训示范基地", ">=", "level"),
        ("力争培训约1000名达到国际服务标准的家庭医生", "~", "level"),
        ("建设约100间规范化家庭医生工作室", "~", "level"),
    ],
    "corpus/05_national_2018_tiyujingsai.html": [
        ("体育竞赛表演产业总规模达到2万亿元", ">=", "level"),
        ("推出100项具有较大知名度的体育精品赛事", "=", "level"),
        ("打造100个具有自主知识产权的体育竞赛表演品牌", "=", "level"),
    ],
    "corpus/09_baotou_2022_shuzizhengfu.txt": [
        ("各级大厅综合一窗率达90%以上", ">=", "level"),
        ("组织发布不少于100场群众文化艺术辅导培训课程", ">=", "level"),
        ('各部门涉企“双随机"检查事项覆盖率不低于90%', ">=", "level"),
        ("全市新增2400户", ">=", "increment"),
        ('（累计约3600户）大中型餐饮单位纳入“互联网+明厨亮灶"社会共治智慧监管平台', "~", "cumulative"),
        ("新增5G基站1000座", ">=", "increment"),
        ("累计建设5G基站4600个", ">=", "cumulative"),
    ],
    "corpus/11_anhui_2021_gongyehulianwang.txt": [
        ("新建800个智能工厂、数字化车间", ">=", "increment"),
        ("重点企业生产效率提高20%以上", ">=", "rise"),
        ("新模式应用普及率超过30%", ">", "level"),
        ("新增“皖企登云”企业2万家", ">=", "increment"),
        ("实现标识注册总量突破5亿", ">", "level"),
        ("每年推广应用工业机器人8000台以上", ">=", "level"),
        ("工业人工智能应用100个以上", ">=", "level"),
    ],
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_indicator_sentences_read_with_their_comparator(name: str) -> None:
    source = SHARED / name
    if not source.is_file():
        if os.environ.get("IPPLAN_REQUIRE_CORPUS") == "1":
            pytest.fail(f"{source} is missing")
        pytest.skip(f"{source} is absent: ../shared lives beside the checkout")
    plan = parse_document(source.read_bytes(), source.name)
    got = {i.text: (i.comparator, i.basis) for i in plan.indicators}
    for text, comparator, basis in EXPECTED[name]:
        assert got.get(text) == (comparator, basis), text
