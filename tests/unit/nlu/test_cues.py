from bot.nlu.cues import cue_intensity, detect_cues


def names(text: str) -> set[str]:
    return {c.name for c in detect_cues(text)}


def test_calm_message_has_no_cues() -> None:
    assert detect_cues("where is my order") == []
    assert cue_intensity([]) == 0.0


def test_each_cue_is_detected() -> None:
    assert "all_caps" in names("WHERE IS MY ORDER PLEASE")
    assert "repeated_punctuation" in names("where is it?!!")
    assert "profanity" in names("this is bullshit")
    assert "threat" in names("I will file a chargeback")
    assert "repeat_contact" in names("this is the third time I ask")
    assert "demand" in names("refund me NOW")
    assert "insult" in names("worst shop ever")
    assert "angry_emoji" in names("still nothing 😡")


def test_lowercase_now_is_not_a_demand() -> None:
    assert "demand" not in names("I can order now, thanks")


def test_currency_codes_are_not_shouting() -> None:
    assert "caps_words" not in names("I paid 25 USD and 10 EUR for it")


def test_intensity_grows_with_more_cues() -> None:
    one = cue_intensity(detect_cues("this is the third time I ask"))
    many = cue_intensity(detect_cues("THIRD TIME I ASK!!! worst service, chargeback NOW"))
    assert 0 < one < many < 1
