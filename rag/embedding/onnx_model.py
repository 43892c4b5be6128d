"""The bundled model on ONNX Runtime: the same vectors as sentence-transformers, faster on CPU.

`OnnxEmbedder(backend="onnx")` exports the bundled all-MiniLM-L6-v2 (a BERT encoder, then
mean pooling over the attention mask, then L2 normalisation) from its verified local
weights with `torch.onnx.export`, once, into a cache folder keyed by the weights' sha256
(`RAG_CACHE_DIR`, default `~/.cache/rag-news/onnx/<sha256[:16]>/`). Nothing is downloaded.
Later runs load the cached file and never import torch. `backend="onnx-int8"` adds
onnxruntime's dynamic int8 quantisation of the weights of the exported graph.

Texts are tokenized with the model's own fast tokenizer (truncated at 256 word pieces, as
sentence-transformers does) and batched longest first, so a batch pads to similar lengths.

Identity: fp32 ONNX vectors equal the torch ones to within float rounding (cosine > 0.9999),
so `backend="onnx"` keeps the torch model's name and can extend or query an index built
with torch. int8 vectors move a little (cosine about 0.99), so "onnx-int8" is a model of its
own (`name` + "+int8"): an index is built with it or without it, never a mix.

fp32 ONNX is the default for the bundled model on a CPU (`RAG_EMBED_BACKEND=auto`), after
measuring cosine >= 0.9999 to torch on every chunk of both benchmark corpora
(`python -m benchmarks.worker agree`); int8 stays something one asks for (see evals/README.md).

Left out: GPU execution providers (`auto` with `RAG_DEVICE=cuda` runs torch on the GPU)
and models other than the bundled one.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from rag.embedding.base import BUNDLED_SHA256, CachingEmbedder, bundled_model_path, model_name, verify_sha256
from rag.errors import ModelError

MAX_TOKENS = 256  # the bundled model's max_seq_length (sentence_bert_config.json)
OPSET = 17


def cache_dir() -> Path:
    base = os.environ.get("RAG_CACHE_DIR") or os.path.join(os.path.expanduser("~"), ".cache", "rag-news")
    return Path(base) / "onnx" / BUNDLED_SHA256[:16]


def export_onnx(model_dir: Path, dest: Path) -> Path:
    """Write the encoder with mean pooling and normalisation as one ONNX graph at `dest`."""
    import torch
    from transformers import AutoModel

    class Pooled(torch.nn.Module):
        def __init__(self, bert):
            super().__init__()
            self.bert = bert

        def forward(self, input_ids, attention_mask, token_type_ids):
            tokens = self.bert(input_ids=input_ids, attention_mask=attention_mask,
                               token_type_ids=token_type_ids).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(tokens.dtype)
            mean = (tokens * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(mean, p=2, dim=1)

    model = Pooled(AutoModel.from_pretrained(str(model_dir), attn_implementation="eager")).eval()
    sample = torch.ones((2, 8), dtype=torch.long)
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_suffix(f".tmp{os.getpid()}")
    with torch.no_grad():
        torch.onnx.export(model, (sample, sample, torch.zeros_like(sample)), str(tmp), dynamo=False,
                          input_names=["input_ids", "attention_mask", "token_type_ids"], output_names=["embedding"],
                          dynamic_axes={n: {0: "batch", 1: "tokens"} for n in
                                        ("input_ids", "attention_mask", "token_type_ids")} | {"embedding": {0: "batch"}},
                          opset_version=OPSET, do_constant_folding=True)
    fuse_bert(tmp, tmp)
    os.replace(tmp, dest)  # atomic: a concurrent reader sees no file or a whole one
    return dest


def fuse_bert(source: Path, dest: Path) -> None:
    """onnxruntime's BERT graph fusions (attention, layer norm, GELU): same maths, fewer kernels."""
    from onnxruntime.transformers import optimizer

    fused = optimizer.optimize_model(str(source), model_type="bert", num_heads=12, hidden_size=384, opt_level=1)
    fused.save_model_to_file(str(dest))


def quantize_int8(source: Path, dest: Path) -> Path:
    """Dynamic int8 quantisation of the weights (activations stay float)."""
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    tmp = dest.with_suffix(f".tmp{os.getpid()}")
    # The fused ops have no shape inference, hence the default type; per channel keeps more precision.
    quantize_dynamic(str(source), str(tmp), weight_type=QuantType.QInt8, per_channel=True,
                     extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT})
    os.replace(tmp, dest)
    return dest


def onnx_model_path(backend: str = "onnx") -> Path:
    """The cached ONNX file for `backend`, exported (and quantised) on first use."""
    model_dir = bundled_model_path()
    fp32 = cache_dir() / "model.onnx"
    if not fp32.is_file():
        verify_sha256(model_dir / "model.safetensors", BUNDLED_SHA256)
        try:
            export_onnx(model_dir, fp32)
        except ImportError as e:
            raise ModelError(f"exporting the model to ONNX needs the package onnx ({e}): pip install onnx") from e
    if backend == "onnx":
        return fp32
    int8 = cache_dir() / "model-int8.onnx"
    if not int8.is_file():
        quantize_int8(fp32, int8)
    return int8


class OnnxEmbedder(CachingEmbedder):
    """The bundled model on ONNX Runtime (CPU); `backend` is "onnx" or "onnx-int8"."""

    def __init__(self, backend: str = "onnx", *, batch_size: int = 64, threads: int | None = None,
                 query_cache_size: int = 1024):
        super().__init__(query_cache_size=query_cache_size)
        import onnxruntime as ort
        from tokenizers import Tokenizer

        if backend not in ("onnx", "onnx-int8"):
            raise ValueError(f"backend {backend!r}: expected 'onnx' or 'onnx-int8'")
        self.backend = backend
        self.name = model_name("bundled", backend)
        self.dimension = 384
        self.batch_size = batch_size
        self.path = onnx_model_path(backend)
        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        if threads:
            options.intra_op_num_threads = threads
        self._session = ort.InferenceSession(str(self.path), options, providers=["CPUExecutionProvider"])
        self._tokenizer = Tokenizer.from_file(str(bundled_model_path() / "tokenizer.json"))
        self._tokenizer.enable_truncation(MAX_TOKENS)
        self._tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")  # to the longest in each batch

    def _encode(self, texts: list[str], progress: bool) -> np.ndarray:
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        order = np.argsort([-len(t) for t in texts], kind="stable")  # longest first: little padding
        for i in range(0, len(order), self.batch_size):
            idx = order[i:i + self.batch_size]
            enc = self._tokenizer.encode_batch([texts[j] for j in idx])
            feeds = {"input_ids": np.array([e.ids for e in enc], dtype=np.int64),
                     "attention_mask": np.array([e.attention_mask for e in enc], dtype=np.int64),
                     "token_type_ids": np.array([e.type_ids for e in enc], dtype=np.int64)}
            out[idx] = self._session.run(None, feeds)[0]
        return out
