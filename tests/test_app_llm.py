"""The browser chat with a language model: its words stream in, then the checked answer
replaces them, with a wrongly cited sentence marked as not supported."""

from rag.chat import Chat, ChatSession, Filters
from rag.config import Config
from rag.engine import answerers_from_config
from tests.app_support import fake_engine
from tests.llm_server import LLMServer


def test_chat_streams_a_language_model_answer_and_marks_unsupported_citations(tmp_path):
    engine = fake_engine(tmp_path)
    with LLMServer() as server:
        config = Config(llm_backend="openai", llm_url=server.url + "/v1", llm_model="fake", llm_timeout=5,
                        llm_retries=0)
        engine.answerers.update(answerers_from_config(config, engine.embedder))
        hits = engine.search("How many residents were evacuated when Mount Karev erupted?", 5)
        volcano = next(i for i, h in enumerate(hits, 1) if h.article_id == "volcano")
        other = next(i for i, h in enumerate(hits, 1) if h.article_id != "volcano")
        server.default = ("answer", f"Authorities evacuated 2,400 residents from villages on the eastern slope [{volcano}]. "
                                    f"Mount Karev sent an ash column eight kilometres into the sky [{other}].")
        frames = list(Chat(engine).respond("How many residents were evacuated when Mount Karev erupted?",
                                           ChatSession(), Filters(answerer="openai")))
    html = [h for h, _ in frames]
    streamed = [h for h in html if 'class="answer streaming"' in h]
    assert len(streamed) >= 2, "the answer arrives in pieces, not at once"
    assert "2,400 residents" in streamed[-1] and "<script" not in streamed[-1]
    final, session = frames[-1]
    answer = session.turns[0].answer
    assert answer.answerer == "openai" and 'class="answer streaming"' not in final
    by_n = {c.n: c for c in answer.citations}
    assert by_n[1].supported is True and by_n[2].supported is False
    assert final.count('class="cite unsupported"') == 1 and "not supported by the passage" in final
