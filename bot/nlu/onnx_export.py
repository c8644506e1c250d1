"""ONNX exports of the serving graphs, so the NLU service runs on ONNX Runtime without torch.

Two graphs are exported into ``models/nlu/onnx/`` (not committed: 90 MB; rebuilt in seconds):

* ``nlu.onnx``: MiniLM with the trained adapters merged in, pooling and every head, in float32
  (the same logits as the torch network, to 1e-5);
* ``nlu-int8.onnx``: the same graph with the encoder's weight matrices int8-quantized
  (dynamic, per channel; the attention products, embeddings and heads stay float32), served
  only when ``CALMDESK_NLU_QUANTIZE`` is set (faster, slightly different figures);
* ``retrieval-int8.onnx``: the original all-MiniLM-L6-v2 with mean pooling and L2
  normalisation, int8-quantized (dynamic), for catalogue search.

``stamp.json`` records what they were built from (a hash of the trained weights and metadata,
and :data:`EXPORT_VERSION`); :func:`ensure_exported` rebuilds stale or missing graphs in a child
process, so that the serving process never imports torch. Run by hand with
``python -m bot.nlu.onnx_export models/nlu``.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from bot.nlu import artefacts
from bot.nlu.errors import NLUError

EXPORT_VERSION = "3"
ONNX_DIR = "onnx"
NLU_GRAPH = "nlu.onnx"
NLU_INT8_GRAPH = "nlu-int8.onnx"
RETRIEVAL_GRAPH = "retrieval-int8.onnx"
STAMP_FILE = "stamp.json"
INPUT_NAMES = ("input_ids", "attention_mask", "token_type_ids")
NLU_OUTPUTS = ("intent", "anger", "emotions", "sentiment", "intensity", "embedding")
OPSET = 17


class ExportError(NLUError):
    """The ONNX graphs could not be built."""


def onnx_dir(model_dir: Path) -> Path:
    """Where the exported graphs of the model in ``model_dir`` live."""
    return model_dir / ONNX_DIR


def source_stamp(model_dir: Path) -> dict[str, str]:
    """Identify the inputs of an export: the trained artefact's files and the export code."""
    digest = hashlib.sha256()
    for name in (artefacts.WEIGHTS_FILE, artefacts.META_FILE):
        digest.update((model_dir / name).read_bytes())
    return {"artefact_sha256": digest.hexdigest(), "export_version": EXPORT_VERSION}


def is_fresh(model_dir: Path) -> bool:
    """True when both graphs exist and were exported from the current artefact."""
    out = onnx_dir(model_dir)
    stamp = out / STAMP_FILE
    graphs = (NLU_GRAPH, NLU_INT8_GRAPH, RETRIEVAL_GRAPH, STAMP_FILE)
    if not all((out / name).is_file() for name in graphs):
        return False
    try:
        return bool(json.loads(stamp.read_text()) == source_stamp(model_dir))
    except (OSError, ValueError):
        return False


def ensure_exported(model_dir: Path, timeout: float = 600.0) -> Path:
    """Export the graphs in a child process unless they are fresh; return their directory.

    Raises:
        ModelNotTrainedError: when ``model_dir`` holds no trained model.
        ExportError: when the export fails.
    """
    artefacts.load_meta(model_dir)
    if not is_fresh(model_dir):
        env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
        done = subprocess.run(
            [sys.executable, "-m", "bot.nlu.onnx_export", str(model_dir)],
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if done.returncode != 0 or not is_fresh(model_dir):
            raise ExportError(f"ONNX export of {model_dir} failed:\n{done.stderr[-2000:]}")
    return onnx_dir(model_dir)


def _export(module: Any, path: Path, outputs: tuple[str, ...]) -> None:
    import torch

    sample = {
        "input_ids": torch.tensor([[101, 2073, 2003, 2026, 2344, 102]] * 2),
        "attention_mask": torch.ones(2, 6, dtype=torch.long),
        "token_type_ids": torch.zeros(2, 6, dtype=torch.long),
    }
    axes = {name: {0: "batch", 1: "tokens"} for name in INPUT_NAMES}
    axes.update({name: {0: "batch"} for name in outputs})
    torch.onnx.export(
        module,
        tuple(sample[name] for name in INPUT_NAMES),
        str(path),
        input_names=list(INPUT_NAMES),
        output_names=list(outputs),
        dynamic_axes=axes,
        opset_version=OPSET,
        dynamo=False,
    )


def quantize_encoder(source: Path, target: Path) -> None:
    """Write ``source`` with the weight matrices of its MatMuls int8-quantized (dynamic, per
    output channel). Products of two activations (attention scores and context) stay float32,
    and so do the embeddings and the heads (Gemm): they cost little and move the figures most.
    """
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    graph = onnx.load(str(source), load_external_data=False).graph
    weights = {initializer.name for initializer in graph.initializer}
    activations_only = [
        node.name
        for node in graph.node
        if node.op_type == "MatMul" and not any(name in weights for name in node.input)
    ]
    quantize_dynamic(
        str(source),
        str(target),
        weight_type=QuantType.QInt8,
        per_channel=True,
        op_types_to_quantize=["MatMul"],
        nodes_to_exclude=activations_only,
    )


def export(model_dir: Path) -> Path:
    """Export both graphs for the model in ``model_dir`` (needs torch); return their directory."""
    import warnings

    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from transformers import AutoModel

    from bot.nlu.encoder import model_path
    from bot.nlu.model import load_torch_network

    meta = artefacts.load_meta(model_dir)
    out = onnx_dir(model_dir)
    out.mkdir(parents=True, exist_ok=True)
    # Build in a private directory and move the finished files in: a second export running at
    # the same time (two test sessions) never reads or clobbers a half-written graph.
    work = Path(tempfile.mkdtemp(prefix=".export-", dir=out))

    network = load_torch_network(model_dir, meta)

    class Heads(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.network = network

        def forward(self, *inputs: torch.Tensor) -> tuple[torch.Tensor, ...]:
            result = self.network(dict(zip(INPUT_NAMES, inputs, strict=True)))
            return tuple(result[name] for name in NLU_OUTPUTS)

    class SentenceEmbedding(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.encoder = AutoModel.from_pretrained(str(model_path()), local_files_only=True)

        def forward(self, *inputs: torch.Tensor) -> torch.Tensor:
            batch = dict(zip(INPUT_NAMES, inputs, strict=True))
            hidden = self.encoder(**batch).last_hidden_state
            mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
            mean = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(mean, p=2, dim=1)

    with warnings.catch_warnings(), torch.inference_mode():
        warnings.simplefilter("ignore")
        try:
            _export(Heads().eval(), work / NLU_GRAPH, NLU_OUTPUTS)
            quantize_encoder(work / NLU_GRAPH, work / NLU_INT8_GRAPH)
            full = work / "retrieval-fp32.onnx"
            _export(SentenceEmbedding().eval(), full, ("embedding",))
            quantize_dynamic(str(full), str(work / RETRIEVAL_GRAPH), weight_type=QuantType.QInt8)
            (work / STAMP_FILE).write_text(json.dumps(source_stamp(model_dir), indent=2) + "\n")
            (out / STAMP_FILE).unlink(missing_ok=True)
            for name in (NLU_GRAPH, NLU_INT8_GRAPH, RETRIEVAL_GRAPH, STAMP_FILE):
                os.replace(work / name, out / name)
        finally:
            shutil.rmtree(work, ignore_errors=True)
    return out


def main(argv: list[str] | None = None) -> int:
    """``python -m bot.nlu.onnx_export MODEL_DIR``: export the graphs."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m bot.nlu.onnx_export MODEL_DIR", file=sys.stderr)
        return 2
    print(export(Path(args[0])))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
