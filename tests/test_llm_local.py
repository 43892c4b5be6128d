"""The local backend loads a tiny, randomly initialised transformers model from disk and streams it."""

from __future__ import annotations

import pytest

from rag.answer import Answer
from rag.config import Config
from rag.engine import answerers_from_config
from rag.store import Hit

SENTENCES = ["Mount Karev on the island of Tolva erupted on Friday .",
             "Authorities evacuated 2,400 residents from villages on the eastern slope [1] .",
             "I cannot answer that from these articles .", "Maria Oyelaran was elected mayor [2] ."]


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory):
    pytest.importorskip("torch")
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers, decoders
    from transformers import GPT2Config, GPT2LMHeadModel, PreTrainedTokenizerFast
    import torch

    torch.manual_seed(0)
    tok = Tokenizer(models.WordLevel(unk_token="[UNK]"))
    tok.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    tok.decoder = decoders.WordPiece(prefix="##")  # joins words with spaces
    tok.train_from_iterator(SENTENCES, trainers.WordLevelTrainer(special_tokens=["[UNK]", "[PAD]", "[EOS]"]))
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=tok, unk_token="[UNK]", pad_token="[PAD]",
                                        eos_token="[EOS]")
    config = GPT2Config(vocab_size=tok.get_vocab_size(), n_positions=4096, n_embd=32, n_layer=2, n_head=2,
                        bos_token_id=2, eos_token_id=2, pad_token_id=1)
    path = tmp_path_factory.mktemp("tiny-gpt2")
    model = GPT2LMHeadModel(config)
    model.generation_config.suppress_tokens = [0, 1, 2]  # random weights would often pick [EOS] first
    model.save_pretrained(path)
    tokenizer.save_pretrained(path)
    return path


def test_tiny_local_model_streams_an_answer_that_is_checked(tiny_model, embedder):
    hits = [Hit("Authorities evacuated 2,400 residents from villages on the eastern slope.", 0.5, "volcano",
                "volcano@0", "Volcano erupts", "2023-03-04", None, None, (0, 74))]
    config = Config(llm_backend="local", llm_model=str(tiny_model), llm_max_tokens=24, llm_timeout=20)
    answerer = answerers_from_config(config, embedder)["local"]
    stream = answerer.stream("How many residents were evacuated?", hits)
    deltas = list(stream)
    answer = stream.answer
    assert isinstance(answer, Answer) and deltas and all(isinstance(d, str) for d in deltas)
    assert answer.answerer == "local"  # it loaded and generated: no fallback
    assert answer.abstained or answer.notes or answer.citations  # gibberish never passes unremarked
    assert all(c.supported is not None for c in answer.citations)
    assert all(c.supported or answer.text.count(f"[{c.n}]") for c in answer.citations)


def test_missing_local_model_falls_back_with_a_note(tmp_path, embedder):
    hits = [Hit("Authorities evacuated 2,400 residents from villages.", 0.5, "v", "v@0", "T", None, None, None, (0, 52))]
    config = Config(llm_backend="local", llm_model=str(tmp_path / "nope"))
    answer = answerers_from_config(config, embedder)["local"].answer("How many residents were evacuated?", hits)
    assert answer.answerer == "extractive (fallback)"
    assert "no local model at" in answer.notes[0]
