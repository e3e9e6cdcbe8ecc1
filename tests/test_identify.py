"""The routing identifier: trained on the languages' corpora, measured on held-out FLORES
text, and used by ModularEncoder for input without a language.

Data: the package's tiny corpora (modsent/resources/tiny/corpus) and its tiny FLORES-200
sample (modsent/resources/tiny/eval/flores200: <code>.devtest, one sentence a line)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from modsent.identify import IdentifierSettings, identifier_accuracy, main, train_language_identifier
from modsent.modules.identifier import LanguageIdentifier

TINY = Path(__file__).resolve().parents[1] / "modsent" / "resources" / "tiny"
CORPORA = {lang: TINY / "corpus" / f"{lang}.txt" for lang in ("de", "en", "fr")}
FLORES = {"de": TINY / "eval" / "flores200" / "deu_Latn.devtest", "en": TINY / "eval" / "flores200" / "eng_Latn.devtest",
          "fr": TINY / "eval" / "flores200" / "fra_Latn.devtest"}


@pytest.fixture(scope="module")
def identifier(tmp_path_factory):
    out = tmp_path_factory.mktemp("identifier") / "identifier"
    record = train_language_identifier(CORPORA, out)
    assert record["sentences_per_language"] == 800
    return out


def test_it_identifies_held_out_flores_text(identifier, tmp_path):
    rows = identifier_accuracy(identifier, FLORES, tmp_path / "identifier.csv", dataset="flores")
    with open(tmp_path / "identifier.csv", newline="") as f:
        written = list(csv.DictReader(f))
    assert [r["lang"] for r in written] == ["de", "en", "fr"] and len(rows) == 3
    for row in rows:
        assert row["sentences"] == len(FLORES[row["lang"]].read_text(encoding="utf-8").splitlines())
        assert row["accuracy"] >= 0.9, row  # three Latin-script languages, told apart by their words
    assert LanguageIdentifier.load(identifier).languages == ["de", "en", "fr"]


def test_training_is_balanced(tmp_path):
    small = tmp_path / "small.txt"
    small.write_text("".join(line + "\n" for line in CORPORA["fr"].read_text(encoding="utf-8").splitlines()[:50]))
    record = train_language_identifier({"de": CORPORA["de"], "fr": small}, tmp_path / "a",
                                       settings=IdentifierSettings(epochs=2))
    assert record["sentences_per_language"] == 50  # the smallest corpus sets every language's share
    identifier = LanguageIdentifier.load(tmp_path / "a")
    sentences = [line for path in FLORES.values() for line in path.read_text(encoding="utf-8").splitlines()]
    assert identifier.languages == ["de", "fr"] and set(identifier.predict(sentences)) <= {"de", "fr"}
    # among a subset of its languages, it answers within the subset
    assert set(identifier.predict(sentences, among=["fr"])) == {"fr"}


def test_bad_input_is_named(tmp_path):
    with pytest.raises(ValueError, match="at least two languages"):
        train_language_identifier({"de": CORPORA["de"]}, tmp_path / "x")
    with pytest.raises(FileNotFoundError, match="nope.txt"):
        train_language_identifier({"de": CORPORA["de"], "fr": tmp_path / "nope.txt"}, tmp_path / "x")
    (tmp_path / "empty.txt").write_text("\n\n")
    with pytest.raises(ValueError, match=r"no text in the corpus of \['fr'\]"):
        train_language_identifier({"de": CORPORA["de"], "fr": tmp_path / "empty.txt"}, tmp_path / "x")
    assert not (tmp_path / "x").exists()
    with pytest.raises(SystemExit):
        main(["train", "--corpus", f"de={CORPORA['de']}", "--corpus", f"en={CORPORA['en']}", "--out",
              str(tmp_path / "y"), "--settings", json.dumps({"epoch": 3})])  # misspelled: epochs


def test_the_cli_trains_and_measures(tmp_path):
    main(["train", *(f"--corpus={lang}={path}" for lang, path in CORPORA.items()), "--out", str(tmp_path / "id"),
          "--settings", json.dumps({"epochs": 3})])
    assert json.loads((tmp_path / "id" / "record.json").read_text())["epochs"] == 3
    main(["accuracy", "--identifier", str(tmp_path / "id"), "--texts", *(f"{k}={v}" for k, v in FLORES.items()),
          "--dataset", "flores", "--out", str(tmp_path / "acc.csv")])
    assert (tmp_path / "acc.csv").read_text().startswith("dataset,lang,sentences,correct,accuracy\n")
