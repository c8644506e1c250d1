"""Readers for the project's training data in ``nlu_data/`` (Rasa 3.x YAML and our affect file)."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bot.nlu.errors import TrainingDataError

AFFECT_LABELS = ("calm", "annoyed", "angry", "furious")
SENTIMENTS = ("positive", "neutral", "negative")
_ANNOTATION = re.compile(r"\[(?P<text>[^\]]+)\](?:\((?P<entity>[a-z_]+)\)|(?P<json>\{[^}]+\}))")


@dataclass(frozen=True)
class EntitySpan:
    """An annotated entity inside an example: character span, type and normalised value."""

    start: int
    end: int
    entity: str
    value: str


@dataclass(frozen=True)
class IntentExample:
    """One training utterance with its intent and entity annotations."""

    text: str
    intent: str
    entities: tuple[EntitySpan, ...] = ()


@dataclass(frozen=True)
class AffectExample:
    """One customer message labelled with an anger level and a sentiment."""

    text: str
    label: str
    sentiment: str


@dataclass
class NLUData:
    """Everything in ``nlu_data/``: examples, synonyms, lookup tables and regexes."""

    examples: list[IntentExample] = field(default_factory=list)
    synonyms: dict[str, str] = field(default_factory=dict)
    lookups: dict[str, list[str]] = field(default_factory=dict)
    regexes: dict[str, list[str]] = field(default_factory=dict)
    affect: list[AffectExample] = field(default_factory=list)
    #: ``{language: {foreign phrase: english}}`` from ``gloss/*.yml`` (see :mod:`bot.nlu.gloss`).
    glossary: dict[str, dict[str, str]] = field(default_factory=dict)

    @property
    def intents(self) -> list[str]:
        """Sorted names of the intents present in the examples."""
        return sorted({e.intent for e in self.examples})


def parse_annotated(line: str, intent: str) -> IntentExample:
    """Turn ``where is #[1042](order_id)`` into plain text plus entity spans.

    Args:
        line: an example in Rasa's markdown-link annotation syntax.
        intent: the intent the example belongs to.

    Returns:
        The example with annotations removed and spans pointing into the plain text.
    """
    parts: list[str] = []
    spans: list[EntitySpan] = []
    cursor = 0
    length = 0
    for match in _ANNOTATION.finditer(line):
        before = line[cursor : match.start()]
        parts.append(before)
        length += len(before)
        surface = match.group("text")
        if match.group("json"):
            meta = json.loads(match.group("json"))
            entity, value = str(meta["entity"]), str(meta.get("value", surface))
        else:
            entity, value = match.group("entity"), surface
        spans.append(EntitySpan(length, length + len(surface), entity, value))
        parts.append(surface)
        length += len(surface)
        cursor = match.end()
    parts.append(line[cursor:])
    return IntentExample("".join(parts), intent, tuple(spans))


def _items(block: Any, where: str) -> list[str]:
    if not isinstance(block, str):
        raise TrainingDataError(f"{where}: 'examples' must be a '|' block of '- ' lines")
    items = []
    for raw in block.splitlines():
        stripped = raw.strip()
        if not stripped:
            continue
        if not stripped.startswith("- "):
            raise TrainingDataError(f"{where}: line {stripped!r} does not start with '- '")
        items.append(stripped[2:].strip())
    return items


def _load_yaml(path: Path) -> dict[str, Any]:
    try:
        content = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise TrainingDataError(f"{path}: invalid YAML: {exc}") from exc
    if not isinstance(content, dict):
        raise TrainingDataError(f"{path}: expected a mapping at the top level")
    return content


def _read_rasa_file(path: Path, data: NLUData) -> None:
    for index, entry in enumerate(_load_yaml(path).get("nlu") or []):
        where = f"{path.name}: nlu[{index}]"
        if "intent" in entry:
            for line in _items(entry.get("examples"), where):
                data.examples.append(parse_annotated(line, str(entry["intent"])))
        elif "synonym" in entry:
            for line in _items(entry.get("examples"), where):
                data.synonyms[line.lower()] = str(entry["synonym"])
        elif "lookup" in entry:
            data.lookups.setdefault(str(entry["lookup"]), []).extend(
                _items(entry.get("examples"), where)
            )
        elif "regex" in entry:
            data.regexes.setdefault(str(entry["regex"]), []).extend(
                _items(entry.get("examples"), where)
            )
        else:
            raise TrainingDataError(f"{where}: expected intent, synonym, lookup or regex")


def _read_gloss_file(path: Path, data: NLUData) -> None:
    content = _load_yaml(path)
    language, table = content.get("language"), content.get("gloss")
    if not isinstance(language, str) or not language:
        raise TrainingDataError(f"{path.name}: 'language' must be a language code")
    if not isinstance(table, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in table.items()
    ):
        raise TrainingDataError(f"{path.name}: 'gloss' must map phrases to English (strings)")
    data.glossary.setdefault(language, {}).update(table)


def _read_affect_file(path: Path, data: NLUData) -> None:
    for index, block in enumerate(_load_yaml(path).get("affect") or []):
        where = f"{path.name}: affect[{index}]"
        label, sentiment = block.get("label"), block.get("sentiment")
        if label not in AFFECT_LABELS:
            raise TrainingDataError(f"{where}.label: must be one of {AFFECT_LABELS}, got {label!r}")
        if sentiment not in SENTIMENTS:
            raise TrainingDataError(
                f"{where}.sentiment: must be one of {SENTIMENTS}, got {sentiment!r}"
            )
        for text in _items(block.get("examples"), where):
            data.affect.append(AffectExample(text, label, sentiment))


#: Folders of ``nlu_data`` in calmdesk's own formats (not Rasa's: Rasa never reads them).
OWN_FORMAT_DIRS = ("affect", "gloss")


def data_files(root: Path) -> list[Path]:
    """Every YAML file under the data directory, sorted (what the fingerprint covers)."""
    return sorted(p for p in root.rglob("*.yml") if p.is_file())


def load_nlu_data(root: Path) -> NLUData:
    """Load ``nlu_data/``: Rasa files anywhere, our affect files under ``affect/`` and our
    glossaries under ``gloss/``.

    Args:
        root: the ``nlu_data`` directory.

    Returns:
        The parsed data.

    Raises:
        TrainingDataError: when the directory is missing or a file is malformed.
    """
    if not root.is_dir():
        raise TrainingDataError(f"{root}: training data directory not found")
    data = NLUData()
    for path in data_files(root):
        if path.parent.name == "affect":
            _read_affect_file(path, data)
        elif path.parent.name == "gloss":
            _read_gloss_file(path, data)
        else:
            _read_rasa_file(path, data)
    if not data.examples:
        raise TrainingDataError(f"{root}: no intent examples found")
    return data


def fingerprint(paths: Iterable[Path], extra: str = "") -> str:
    """Return a sha256 over the contents of the given files and an extra string."""
    digest = hashlib.sha256(extra.encode())
    for path in paths:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()
