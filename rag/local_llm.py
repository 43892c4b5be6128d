"""A causal language model from a local directory (Hugging Face transformers format),
streamed token by token.

`LocalBackend(path)` loads the tokenizer and model from `path` on first use (nothing is
downloaded: `local_files_only`), formats the messages with the tokenizer's chat template
when it has one (plain "System: / User: / Assistant:" text otherwise), and runs `generate`
in a thread feeding a `TextIteratorStreamer`. The streamer's timeout is the per-chunk
read timeout: a model that produces nothing for `timeout` seconds raises `TimeoutError`,
and generation is told to stop. Greedy decoding, so answers are repeatable.

What it leaves out: quantisation, GPU placement beyond `device`, batching.
"""

from __future__ import annotations

import threading
from functools import cached_property
from pathlib import Path
from queue import Empty
from typing import Iterator

from rag.backends import Messages


class LocalBackend:
    def __init__(self, path: str | Path, *, timeout: float = 30.0, max_tokens: int = 512, device: str = "cpu"):
        self.path = Path(path)
        self.url = str(self.path)
        self.timeout = timeout
        self.max_tokens = max_tokens
        self.device = device

    @cached_property
    def _loaded(self):
        from transformers import AutoModelForCausalLM, AutoTokenizer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()  # a bar per weight load is noise in a CLI

        if not self.path.is_dir():
            raise FileNotFoundError(f"no local model at {self.path}: expected a transformers model directory "
                                    "(config.json, weights, tokenizer files)")
        tokenizer = AutoTokenizer.from_pretrained(self.path, local_files_only=True)
        model = AutoModelForCausalLM.from_pretrained(self.path, local_files_only=True).to(self.device)
        model.eval()
        return tokenizer, model

    def _prompt(self, messages: Messages) -> str:
        tokenizer, _ = self._loaded
        if getattr(tokenizer, "chat_template", None):
            return tokenizer.apply_chat_template([{"role": r, "content": t} for r, t in messages],
                                                 tokenize=False, add_generation_prompt=True)
        return "".join(f"{role.capitalize()}: {text}\n\n" for role, text in messages) + "Assistant:"

    def stream(self, messages: Messages) -> Iterator[str]:
        from transformers import StoppingCriteria, StoppingCriteriaList, TextIteratorStreamer

        tokenizer, model = self._loaded
        inputs = tokenizer(self._prompt(messages), return_tensors="pt").to(self.device)
        inputs.pop("token_type_ids", None)
        limit = getattr(model.config, "max_position_embeddings", None) or getattr(model.config, "n_positions", None)
        if limit and inputs["input_ids"].shape[1] + self.max_tokens > limit:
            raise ValueError(f"the prompt ({inputs['input_ids'].shape[1]} tokens) and answer ({self.max_tokens}) "
                             f"do not fit the local model's {limit}-token window")
        streamer = TextIteratorStreamer(tokenizer, skip_prompt=True, skip_special_tokens=True, timeout=self.timeout)
        stop = threading.Event()
        failure: list[BaseException] = []

        class _Stop(StoppingCriteria):
            def __call__(self, input_ids, scores, **kwargs):
                return stop.is_set()

        def run():
            try:
                model.generate(**inputs, streamer=streamer, max_new_tokens=self.max_tokens, do_sample=False,
                               stopping_criteria=StoppingCriteriaList([_Stop()]),
                               pad_token_id=tokenizer.pad_token_id or tokenizer.eos_token_id)
            except BaseException as e:  # surfaced to the reader below, not lost in the thread
                failure.append(e)
                streamer.end()

        thread = threading.Thread(target=run, daemon=True, name="local-llm-generate")
        thread.start()
        try:
            for text in streamer:
                if text:
                    yield text
        except Empty:
            raise TimeoutError(f"the local model produced nothing for {self.timeout}s") from None
        finally:
            stop.set()
        thread.join(self.timeout)
        if failure:
            raise failure[0]

    def chat(self, messages: Messages) -> str:
        return "".join(self.stream(messages))
