"""The parser never raises anything but ParseError, whatever it is given."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from planparser import ParseError, parse_document, parse_text

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "plans"
SEED_LINES = [p.read_text(encoding="utf-8").splitlines() for p in sorted(FIXTURES.glob("*.txt"))]
ALPHABET = st.sampled_from(
    list(
        "一二三四五六七八九十()（）、,，;；:：。.1234567890 \n市局委办牵头单位责任配合负责等部门年月日是要"
        "〔〕[]《》“”阶段%件家以上左右达到到万—-"
    )
)
SETTINGS = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _ok(fn: object, *args: object) -> None:
    try:
        plan = fn(*args)  # type: ignore[operator]
    except ParseError as err:
        assert err.code in {
            "empty",
            "binary",
            "too_large",
            "unsupported_type",
            "no_text_layer",
            "no_tasks",
            "malformed",
        }
        return
    plan.to_expected_json()


@SETTINGS
@given(
    st.binary(max_size=3000), st.sampled_from(["a.txt", "a.docx", "a.xlsx", "a.pdf", "a.html", "a", "a.csv"])
)
def test_random_bytes(data: bytes, name: str) -> None:
    _ok(parse_document, data, name)


@SETTINGS
@given(st.text(max_size=2000))
def test_random_text(text: str) -> None:
    _ok(parse_text, text)


@SETTINGS
@given(st.text(alphabet=ALPHABET, max_size=1500))
def test_plan_shaped_text(text: str) -> None:
    _ok(parse_text, text)


@SETTINGS
@given(st.data())
def test_mutated_seeds(data: st.DataObject) -> None:
    lines = list(data.draw(st.sampled_from(SEED_LINES)))
    for _ in range(data.draw(st.integers(0, 12))):
        op = data.draw(st.sampled_from(["delete", "duplicate", "swap", "cut", "insert"]))
        if not lines:
            break
        i = data.draw(st.integers(0, len(lines) - 1))
        j = data.draw(st.integers(0, len(lines) - 1))
        if op == "delete":
            del lines[i]
        elif op == "duplicate":
            lines.insert(j, lines[i])
        elif op == "swap":
            lines[i], lines[j] = lines[j], lines[i]
        elif op == "cut" and lines[i]:
            k = data.draw(st.integers(0, len(lines[i])))
            lines[i] = lines[i][:k] + lines[i][k + 1 :]
        else:
            lines.insert(i, data.draw(st.text(alphabet=ALPHABET, max_size=40)))
    text = "\n".join(lines)
    if data.draw(st.booleans()):
        text = text.replace("\n", "")
    _ok(parse_text, text)
    _ok(parse_document, text.encode("gb18030", errors="replace"), "x.txt")


@SETTINGS
@given(st.data())
def test_shuffled_characters(data: st.DataObject) -> None:
    text = "\n".join(data.draw(st.sampled_from(SEED_LINES)))[:3000]
    chars = list(text)
    for _ in range(data.draw(st.integers(0, 30))):
        i = data.draw(st.integers(0, len(chars) - 1))
        j = data.draw(st.integers(0, len(chars) - 1))
        chars[i], chars[j] = chars[j], chars[i]
    _ok(parse_text, "".join(chars))
