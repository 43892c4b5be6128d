""""Who did it?" answered by the subject of the question's own verb in the sentence, with the real models.

A who-question asks for whoever does what its verb says: the sentence's subject of that verb
answers it, a body of people ("off-duty firefighters") as well as a name, and a verb joined to
another ("inspected the bridge and declared it safe") has the subject of the first.
"""

from __future__ import annotations

import pytest

from tests.test_exact_real_model import _stories_engine

pytestmark = pytest.mark.real_model


@pytest.fixture(scope="module")
def flood(tmp_path_factory, real_embedder):
    stories = [
        ("valley-flood", "Flash flood closes the Tarn valley road",
         "Heavy rain flooded the Tarn valley road on Tuesday morning. "
         "Off-duty firefighters pulled three drivers from their cars, while the Tarn County Police closed the road "
         "until noon. "
         "Ana Ferreira, who replaced Tom Hale as the county's road engineer last year, inspected the old stone bridge "
         "and declared it safe. "
         "The road reopened on Wednesday."),
    ]
    return _stories_engine(tmp_path_factory.mktemp("flood"), real_embedder, stories)


def test_a_body_of_people_that_does_the_asked_thing_is_the_answer(flood):
    a = flood.ask("Who pulled the drivers out of their cars?")
    assert a.text.startswith("Off-duty firefighters [1]"), a.text
    assert "pulled three drivers" in a.citations[0].quote


def test_the_subject_of_a_joined_verb_answers_among_several_names(flood):
    a = flood.ask("Who declared the bridge safe?")
    assert a.text.startswith("Ana Ferreira [1]"), a.text
    assert "Tom Hale" not in a.text.split("[1]")[0]
