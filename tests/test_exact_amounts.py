"""Figures in yes/no questions: the value a phrase gives and whether a stated figure satisfies the asked one."""

import pytest

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


@pytest.mark.real_model
def test_a_figure_keeps_the_currency_and_bound_the_model_leaves_outside_it(tmp_path, real_embedder):
    """"$ 50,000" and "over 422,000 euros" as the sentence has them, not "50,000" and "422,000"."""
    from tests.test_exact_real_model import _stories_engine

    stories = [("esports", "Toronto esports final",
                "The Toronto final drew a packed hall on Sunday. The winning team took home $ 50,000 in prize money. "
                "The city council separately asked the arena to pay over 422,000 euros in unpaid fees.")]
    engine = _stories_engine(tmp_path, real_embedder, stories)
    prize = engine.ask("How much did the winning team take home?")
    assert prize.text.startswith("$ 50,000 [1]"), prize.text
    fees = engine.ask("How many euros did the city council ask the arena to pay?")
    assert fees.text.lower().startswith("over 422,000 euros [1]"), fees.text
