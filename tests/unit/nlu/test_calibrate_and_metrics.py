import numpy as np

from bot.nlu.calibrate import (
    anger_evidence,
    fit_anger_score,
    fit_f1_threshold,
    fit_oos_threshold,
    fit_platt,
    fit_temperature,
    sigmoid,
    softmax,
)
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


def test_oos_threshold_stops_before_rejecting_correct_in_scope_messages() -> None:
    # 100 correct in-scope rows at 0.5..0.99, and out-of-scope queries guessed in scope at 0.6
    confident = np.linspace(0.5, 0.99, 100)
    probs = np.array([[c, 1 - c, 0.0] for c in confident] + [[0.6, 0.4, 0.0]] * 20)
    labels = np.array([0] * 100 + [2] * 20)
    threshold = fit_oos_threshold(probs, labels, oos_index=2, max_false_rejections=0.01)
    rejected_in_scope = int((confident < threshold).sum())
    assert rejected_in_scope <= 1  # 1 % of the 100 correct ones
    assert threshold <= 0.51  # catching the 0.6 queries would reject ~20 real requests
    assert fit_oos_threshold(probs, labels, oos_index=2, max_false_rejections=0.25) > 0.6


def test_oos_threshold_is_zero_when_the_class_catches_everything() -> None:
    probs = np.array([[0.55, 0.45, 0.0], [0.1, 0.1, 0.8]])
    labels = np.array([0, 2])
    assert fit_oos_threshold(probs, labels, oos_index=2) == 0.0


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


def test_anger_evidence_without_the_group_is_the_anger_head() -> None:
    anger = np.array([-2.0, 0.5, 3.0])
    emotions = np.zeros((3, 4))
    assert np.allclose(anger_evidence(anger, emotions, [1, 2], False), anger)


def test_anger_evidence_adds_the_group_odds_and_never_lowers_the_head() -> None:
    anger = np.array([0.0, 4.0])
    emotions = np.array([[0.0, 0.0, -50.0], [-50.0, -50.0, 9.0]])
    evidence = anger_evidence(anger, emotions, [0, 1], True)
    # row 0: head odds 1 + group odds 0.75 / 0.25 = 3 -> 4; row 1: the group adds nothing
    assert np.isclose(evidence[0], np.log(4.0))
    assert evidence[1] >= 4.0 and np.isclose(evidence[1], 4.0, atol=1e-4)


def test_platt_recovers_a_logistic_map() -> None:
    rng = np.random.default_rng(1)
    scores = rng.normal(0, 2, 20_000)
    labels = rng.random(20_000) < sigmoid(0.5 * scores - 1.0)
    scale, shift = fit_platt(scores, labels)
    assert abs(scale - 0.5) < 0.05 and abs(shift + 1.0) < 0.08


def test_anger_score_adds_the_group_only_when_it_ranks_better() -> None:
    rng = np.random.default_rng(2)
    labels = rng.random(3000) < 0.2
    uninformed = rng.normal(-3, 1, 3000)
    informed = uninformed + 3.0 * labels
    emotions = rng.normal(-2, 1, (3000, 3))
    emotions[labels, 0] += 3.0  # the group's first emotion knows
    with_group, scale, _ = fit_anger_score(uninformed, emotions, [0, 1], labels)
    assert with_group and scale > 0
    quiet = np.full((3000, 3), -30.0)  # the group sees nothing: adding it cannot help
    assert fit_anger_score(informed, quiet, [0, 1], labels)[0] is False
