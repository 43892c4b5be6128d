"""Language-model backends behind one small interface: `chat(messages) -> str` and
`stream(messages) -> Iterator[str]` (text deltas), `messages` being `(role, text)` pairs.

* `OpenAIBackend`: any OpenAI-compatible chat-completions endpoint (OpenAI, vLLM, llama.cpp
  server, LM Studio, Ollama's /v1, ...) through llama-index's `OpenAILike`.
* `OllamaBackend`: Ollama's native `/api/chat` through llama-index's `Ollama`.
* `rag.local_llm.LocalBackend`: a Hugging Face transformers model from a local directory.

Every backend is built with an explicit URL, model and timeout; none falls back to
llama-index's global `Settings` or to a paid default. The clients' own retries are switched
off: `rag.llm` retries (boundedly) so that the time to a fallback answer is predictable.
The timeout applies to connecting and to each read, so a stream that stalls fails after
`timeout` seconds rather than hanging.
"""

from __future__ import annotations

from typing import Iterator, Protocol, Sequence

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
                 max_tokens: int = 512):
        from llama_index.llms.openai_like import OpenAILike

        self.url = url
        # A local server needs no key, but the OpenAI client refuses to start without one.
        self._client = OpenAILike(model=model, api_base=url, api_key=api_key or "no-key", timeout=timeout,
                                  max_retries=0, is_chat_model=True, temperature=0.0, max_tokens=max_tokens,
                                  context_window=32768)

    def _llm(self):
        return self._client


class OllamaBackend(_LlamaIndexBackend):
    def __init__(self, url: str, model: str, *, timeout: float = 30.0, max_tokens: int = 512):
        from llama_index.llms.ollama import Ollama

        self.url = url
        self._client = Ollama(model=model, base_url=url, request_timeout=timeout, temperature=0.0,
                              context_window=8192, additional_kwargs={"num_predict": max_tokens})

    def _llm(self):
        return self._client
