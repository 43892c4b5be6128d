"""Figures in yes/no questions: the value a phrase gives and whether a stated figure satisfies the asked one."""

from rag.exact import agrees, amount


def test_amounts_read_digits_words_and_bounds():
    assert amount("more than a thousand") == (1000.0, ">")
    assert amount("fewer than 20") == (20.0, "<")
    assert amount("US $ 8.00") == (8.0, "=")
    assert amount("about 12,000") == (12000.0, "=")
    assert amount("two million") == (2_000_000.0, "=")


def test_a_stated_figure_satisfies_or_contradicts_the_asked_one():
    assert agrees("more than a thousand", "1,426")
    assert not agrees("2,000", "1,426")
    assert agrees("eight dollars", "US $ 8.00")
    assert agrees("about 12,000", "11,500")  # a hedged figure allows a tenth either way
    assert not agrees("12,000", "11,500")
    assert not agrees("40 percent", "15%")
