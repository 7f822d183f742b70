from decimal import Decimal

import pytest

from extractor.normalize import is_amount, join_header, normalize_amount, normalize_name, to_wan


@pytest.mark.parametrize(
    ("printed", "name"),
    [
        ("合 计", "合计"),
        ("单位名称（科目）", "单位名称(科目)"),
        ("其中：动用上年结转\n和结余资金", "其中:动用上年结转和结余资金"),
        ("\u3000一、一般公共服务支出", "一、一般公共服务支出"),
        ("“三公”经费", "“三公”经费"),  # curly quotes are not full-width ASCII
        ("ＡＢＣ１２３", "ABC123"),
    ],
)
def test_normalize_name(printed: str, name: str) -> None:
    assert normalize_name(printed) == name


@pytest.mark.parametrize(
    ("printed", "amount"),
    [
        ("1,157.59", "1157.59"),
        ("1 557.33", "1557.33"),
        ("１，５５７．３３", "1557.33"),
        ("1157.590", "1157.590"),
        ("0.00", "0.00"),
        ("-12.5", "-12.5"),
        ("(12.5)", "-12.5"),
        ("", None),
        ("-", None),
        ("—", None),
        (None, None),
    ],
)
def test_normalize_amount(printed: str | None, amount: str | None) -> None:
    assert normalize_amount(printed) == amount


@pytest.mark.parametrize("text", ["行政运行", "1.2.3", "12a", "≥96%"])
def test_non_amounts_raise(text: str) -> None:
    with pytest.raises(ValueError):
        normalize_amount(text)
    assert not is_amount(text)


def test_join_header_skips_repeats_and_blanks() -> None:
    assert join_header(["公务用车购置 及运行费", "", "小计"]) == "公务用车购置及运行费/小计"
    assert join_header(["合计", "合计"]) == "合计"


def test_to_wan_is_exact() -> None:
    assert to_wan("19233900.00", "元") == Decimal("1923.39")
    assert to_wan("1,5".replace(",", ""), "千元") == Decimal("1.5")
    with pytest.raises(ValueError):
        to_wan("1", "美元")
