"""The ONNX Runtime backend gives the torch network's outputs, without torch in the process."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from bot.nlu.bench import _texts
from bot.nlu.model import NLUModel
from bot.nlu.onnx_export import ensure_exported, is_fresh
from bot.settings import get_settings

pytestmark = pytest.mark.integration


def test_onnx_and_torch_backends_agree() -> None:
    settings = get_settings()
    texts = [*_texts(settings)[:120], "WHERE IS MY ORDER?!! 😡", "Wo ist meine Bestellung 1042?"]
    onnx = NLUModel(settings.nlu_model_dir, threads=1, backend="onnx").predict(texts)
    torch = NLUModel(settings.nlu_model_dir, threads=1, backend="torch").predict(texts)
    for fast, reference in zip(onnx, torch, strict=True):
        assert int(np.argmax(fast.intent_probs)) == int(np.argmax(reference.intent_probs))
        assert np.abs(fast.intent_probs - reference.intent_probs).max() < 1e-3
        assert abs(fast.anger - reference.anger) < 1e-3
        assert abs(fast.intensity - reference.intensity) < 1e-3
        assert np.abs(fast.emotions - reference.emotions).max() < 1e-3


def test_serving_with_onnx_never_imports_torch() -> None:
    settings = get_settings()
    ensure_exported(settings.nlu_model_dir)
    assert is_fresh(settings.nlu_model_dir)
    script = (
        "import json, sys\n"
        "from bot.settings import get_settings\n"
        "from bot.nlu.pipeline import NLUPipeline\n"
        "from bot.nlu.service import default_index_loader\n"
        "s = get_settings()\n"
        "p = NLUPipeline.load(s.nlu_model_dir, s.path(s.nlu_data_dir), threads=1)\n"
        "r = p.parse_batch(['where is my order 1042'])[0]\n"
        "hit = default_index_loader(s).search('do you ship abroad', limit=1)[0]\n"
        "print(json.dumps([r.intent.name, hit.id, 'torch' in sys.modules,"
        " 'transformers' in sys.modules]))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=300, check=True
    )
    intent, faq, torch_loaded, transformers_loaded = json.loads(
        done.stdout.strip().splitlines()[-1]
    )
    assert (intent, faq) == ("track_order", "Do you ship internationally?")
    assert not torch_loaded and not transformers_loaded
