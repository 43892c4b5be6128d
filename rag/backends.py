"""Language-model backends behind one small interface: `chat(messages) -> str` and
`stream(messages) -> Iterator[str]` (text deltas), `messages` being `(role, text)` pairs.

* `OpenAIBackend`: any OpenAI-compatible chat-completions endpoint (OpenAI, vLLM, llama.cpp
  server, LM Studio, Ollama's /v1, ...) through llama-index's `OpenAILike`.
* `OllamaBackend`: Ollama's native `/api/chat` through llama-index's `Ollama`.
* `LocalBackend`: a causal language model from a local directory (Hugging Face transformers
  format) or a `.gguf` file (which transformers reads, dequantised, through the `gguf`
  package), streamed token by token from `generate` in a thread; greedy decoding, so
  answers are repeatable. It knows its context window and counts tokens with the model's
  own tokenizer, so the answerer can fit the passages to it (`rag.context`).

`from_config(config)` builds the backend `config.llm_backend` names.

Every backend is built with an explicit URL, model and timeout; none falls back to
llama-index's global `Settings` or to a paid default. The clients' own retries are switched
off: `rag.llm` retries (boundedly) so that the time to a fallback answer is predictable.
The timeout applies to connecting and to each read, so a stream that stalls fails after
`timeout` seconds rather than hanging.
"""

from __future__ import annotations

import threading
from functools import cached_property
from pathlib import Path
from queue import Empty
from typing import Iterator, Protocol, Sequence

from rag.context import ContextOverflowError
from rag.errors import ConfigError

BACKENDS = ("openai", "ollama", "local")
DEFAULT_URLS = {"openai": "http://localhost:8000/v1", "ollama": "http://localhost:11434"}

Messages = Sequence[tuple[str, str]]


class ChatBackend(Protocol):
    url: str  # where it talks to, for messages

    def chat(self, messages: Messages) -> str:
        ...

    def stream(self, messages: Messages) -> Iterator[str]:
        ...


def _chat_messages(messages: Messages):
    from llama_index.core.llms import ChatMessage

    return [ChatMessage(role=role, content=text) for role, text in messages]


class _LlamaIndexBackend:
    """The part both llama-index integrations share."""

    url: str

    def _llm(self):
        raise NotImplementedError

    def chat(self, messages: Messages) -> str:
        response = self._llm().chat(_chat_messages(messages))
        return response.message.content or ""

    def stream(self, messages: Messages) -> Iterator[str]:
        for response in self._llm().stream_chat(_chat_messages(messages)):
            if response.delta:
                yield response.delta


class OpenAIBackend(_LlamaIndexBackend):
    def __init__(self, url: str, model: str, *, api_key: str | None = None, timeout: float = 30.0,
                 max_tokens: int = 512, context_window: int | None = None):
        from llama_index.llms.openai_like import OpenAILike

        self.url = url
        self.max_tokens = max_tokens
        self.context_window = context_window  # None: unknown until the server refuses a prompt as too long
        # A local server needs no key, but the OpenAI client refuses to start without one.
        self._client = OpenAILike(model=model, api_base=url, api_key=api_key or "no-key", timeout=timeout,
                                  max_retries=0, is_chat_model=True, temperature=0.0, max_tokens=max_tokens,
                                  context_window=32768)

    def _llm(self):
        return self._client


class OllamaBackend(_LlamaIndexBackend):
    def __init__(self, url: str, model: str, *, timeout: float = 30.0, max_tokens: int = 512,
                 context_window: int | None = None):
        from llama_index.llms.ollama import Ollama

        self.url = url
        self.max_tokens = max_tokens
        self.context_window = context_window
        options = {"num_predict": max_tokens, **({"num_ctx": context_window} if context_window else {})}
        self._client = Ollama(model=model, base_url=url, request_timeout=timeout, temperature=0.0,
                              context_window=context_window or 8192, additional_kwargs=options)

    def _llm(self):
        return self._client


class LocalBackend:
    def __init__(self, path: str | Path, *, timeout: float = 30.0, max_tokens: int = 512, device: str = "cpu",
                 context_window: int | None = None):
        self.path = Path(path)
        self._window = context_window  # a smaller window than the model's own, when set
        self.url = str(self.path)
        self.timeout = timeout
        self.max_tokens = max_tokens
        self.device = device

    @cached_property
    def _loaded(self):
        from transformers import AutoModelForCausalLM, AutoTokenizer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()  # a bar per weight load is noise in a CLI

        gguf = self.path.suffix.lower() == ".gguf"
        if not (self.path.is_file() if gguf else self.path.is_dir()):
            raise FileNotFoundError(f"no local model at {self.path}: expected a transformers model directory "
                                    "(config.json, weights, tokenizer files) or a .gguf file")
        where, extra = (self.path.parent, {"gguf_file": self.path.name}) if gguf else (self.path, {})
        tokenizer = AutoTokenizer.from_pretrained(where, local_files_only=True, **extra)
        model = AutoModelForCausalLM.from_pretrained(where, local_files_only=True, **extra).to(self.device)
        model.eval()
        return tokenizer, model

    @property
    def context_window(self) -> int | None:
        config = self._loaded[1].config
        own = getattr(config, "max_position_embeddings", None) or getattr(config, "n_positions", None)
        return min(w for w in (own, self._window) if w) if (own or self._window) else None

    def count_tokens(self, text: str) -> int:
        return len(self._loaded[0](text, add_special_tokens=False)["input_ids"])

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
        limit = self.context_window
        if limit and inputs["input_ids"].shape[1] + self.max_tokens > limit:
            raise ContextOverflowError(limit, inputs["input_ids"].shape[1], self.max_tokens)
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


def from_config(config) -> ChatBackend:
    """The backend `config.llm_backend` names, with its URL, model, key and timeout."""
    kind = config.llm_backend
    if kind not in BACKENDS:
        raise ConfigError(f"RAG_LLM_BACKEND={kind!r}: expected one of {', '.join(BACKENDS)}")
    if not config.llm_model:
        raise ConfigError(f"the {kind} backend needs a model: set RAG_LLM_MODEL or --llm-model"
                         + (" (a local transformers model directory or .gguf file)" if kind == "local" else ""))
    if kind == "local":
        return LocalBackend(config.llm_model, timeout=config.llm_timeout, max_tokens=config.llm_max_tokens,
                            device=config.device, context_window=config.llm_context)
    url = config.llm_url or DEFAULT_URLS[kind]
    if kind == "ollama":
        return OllamaBackend(url, config.llm_model, timeout=config.llm_timeout, max_tokens=config.llm_max_tokens,
                             context_window=config.llm_context)
    return OpenAIBackend(url, config.llm_model, api_key=config.llm_api_key, timeout=config.llm_timeout,
                         max_tokens=config.llm_max_tokens, context_window=config.llm_context)
