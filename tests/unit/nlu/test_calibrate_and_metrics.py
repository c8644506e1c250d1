import numpy as np

from bot.nlu.calibrate import fit_f1_threshold, fit_oos_threshold, fit_temperature, softmax
from bot.nlu.metrics import accuracy, binary_prf, macro_f1, roc_auc


def test_temperature_softens_overconfident_logits() -> None:
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 3, 400)
    logits = rng.normal(0, 1, (400, 3))
    logits[np.arange(400), labels] += 2.0
    noisy = rng.random(400) < 0.3  # 30 % confidently wrong
    logits[noisy] = np.roll(logits[noisy], 1, axis=1)
    assert fit_temperature(logits * 5, labels) > 1.5


def test_oos_threshold_rejects_uncertain_rows() -> None:
    probs = np.array([[0.9, 0.05, 0.05], [0.4, 0.35, 0.25], [0.05, 0.9, 0.05], [0.34, 0.33, 0.33]])
    labels = np.array([0, 2, 1, 2])  # index 2 is out-of-scope
    threshold = fit_oos_threshold(probs, labels, oos_index=2)
    assert 0.4 < threshold <= 0.9


def test_f1_threshold_separates_scores() -> None:
    scores = np.array([0.1, 0.2, 0.25, 0.7, 0.8, 0.9])
    labels = np.array([0, 0, 0, 1, 1, 1])
    assert 0.25 < fit_f1_threshold(scores, labels) <= 0.7


def test_softmax_rows_sum_to_one() -> None:
    assert np.allclose(softmax(np.array([[1.0, 2.0, 3.0]])).sum(), 1.0)


def test_metrics() -> None:
    assert accuracy(["a", "b"], ["a", "a"]) == 0.5
    assert macro_f1(["a", "b"], ["a", "b"]) == 1.0
    assert binary_prf([True, False, True], [True, True, False])["precision"] == 0.5
    assert roc_auc([False, False, True, True], [0.1, 0.2, 0.8, 0.9]) == 1.0
    assert roc_auc([False, True], [0.5, 0.5]) == 0.5
