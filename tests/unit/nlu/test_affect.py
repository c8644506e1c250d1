import numpy as np

from bot.nlu.affect import anger_label, build_affect, combine_anger

NAMES = ["anger", "joy", "neutral"]


def test_labels_follow_bounds() -> None:
    assert [anger_label(x) for x in (0.1, 0.4, 0.7, 0.9)] == ["calm", "annoyed", "angry", "furious"]


def test_cues_only_raise_anger() -> None:
    assert abs(combine_anger(0.2, 0.2, 0.0) - 0.2) < 1e-9
    assert combine_anger(0.2, 0.2, 0.8) > combine_anger(0.2, 0.2, 0.3) > 0.2


def test_same_model_output_more_cues_more_anger() -> None:
    emotions, sentiment = np.array([0.5, 0.1, 0.4]), np.array([0.6, 0.3, 0.1])
    calm = build_affect("where is my order", 0.3, 0.3, emotions, NAMES, sentiment)
    loud = build_affect("WHERE IS MY ORDER?!! NOW", 0.3, 0.3, emotions, NAMES, sentiment)
    assert loud.anger > calm.anger
    assert "all_caps" in loud.cues and calm.cues == []
    assert list(calm.emotions) == ["anger", "neutral", "joy"]
    assert -1 <= loud.sentiment <= 1
