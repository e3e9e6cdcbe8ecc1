"""Training views: from MT output and from provided translations, in one fixed format."""

from __future__ import annotations

from pathlib import Path

import pytest

from modsent import training_views
from modsent.tsv import CROSS_COLUMNS, EXAMPLE_COLUMNS, PAIR_COLUMNS, Example, FormatError, clean_text, read_examples, read_view, write_examples
from modsent.training_views import build_training_views

EN = [Example("nli-0", "A man plays a guitar.", "A man makes music.", "Nobody plays."),
      Example("nli-1", "A man plays a guitar.", "Someone has a guitar.", ""),
      Example("wiki-0", "The long text.", "Text.", "")]
FR = [Example("nli-0", "Un homme joue de la guitare.", "Un homme fait de la musique.", "Personne ne joue."),
      Example("nli-1", "Un homme joue de la guitare.", "Quelqu'un a une guitare.", ""),
      Example("wiki-0", "Le long texte.", "Texte.", "")]

# premise, hypothesis, label: line-parallel across languages, three hypotheses per premise
NLI = {
    "en": [("The cat sleeps.", "A cat is resting.", "entailment"), ("The cat sleeps.", "The cat is black.", "neutral"),
           ("The cat sleeps.", "The cat runs.", "contradiction"), ("A boy reads.", "A child reads.", "entailment"),
           ("A boy reads.", "A boy reads a comic.", "neutral"), ("A boy reads.", "Nobody reads.", "contradiction"),
           ("A dog barks.", "A dog is loud.", "entailment"), ("A dog barks.", "The dog is big.", "neutral")],
    "de": [("Die Katze schläft.", "Eine Katze ruht.", "entailment"), ("Die Katze schläft.", "Sie ist schwarz.", "neutral"),
           ("Die Katze schläft.", "Die Katze rennt.", "contradiction"), ("Ein Junge liest.", "Ein Kind liest.", "entailment"),
           ("Ein Junge liest.", "Er liest ein Comic.", "neutral"), ("Ein Junge liest.", "Niemand liest.", "contradiction"),
           ("Ein Hund bellt.", "Ein Hund ist laut.", "entailment"), ("Ein Hund bellt.", "Der Hund ist groß.", "neutral")],
}


def write_nli(directory: Path, split: str, code: str, rows) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{split}-{code}.tsv"
    path.write_text("".join("\t".join(r) + "\n" for r in rows), encoding="utf-8")
    return path


@pytest.fixture
def mt_files(tmp_path):
    source, translated = tmp_path / "source.tsv", tmp_path / "fr.tsv"
    write_examples(source, EN)
    write_examples(translated, FR)
    return source, translated


def test_clean_text_removes_every_line_break():
    assert clean_text(" a\tb\nc\r\nd\u2028e\x85f ") == "a b c d e f"
    assert clean_text(None) == ""


def test_views_from_machine_translation(mt_files, tmp_path):
    source, translated = mt_files
    paths = build_training_views(tmp_path / "fr", lang="fr", pivot="en", sources=[source], translations=[translated])
    assert read_view(paths["mono"]) == [(e.anchor, e.positive, e.negative) if e.negative else (e.anchor, e.positive)
                                        for e in FR]
    # the cross view keeps the hard negative, in the target language, where the source has one
    assert read_view(paths["cross"]) == [("A man plays a guitar.", "Un homme fait de la musique.", "Personne ne joue."),
                                         ("A man plays a guitar.", "Quelqu'un a une guitare."),
                                         ("The long text.", "Texte.")]
    # each English sentence once (the repeated premise too), with its own translation
    assert read_view(paths["parallel"]) == [
        ("A man plays a guitar.", "Un homme joue de la guitare."), ("A man makes music.", "Un homme fait de la musique."),
        ("Someone has a guitar.", "Quelqu'un a une guitare."), ("The long text.", "Le long texte."), ("Text.", "Texte.")]
    assert paths["cross"].read_text(encoding="utf-8").startswith("id\tpivot\ttarget\tnegative\nnli-0\t")
    assert [e.id for e in read_examples(paths["mono"])] == [e.id for e in EN]


def test_pivot_views_are_its_own_data(mt_files, tmp_path):
    source, _ = mt_files
    paths = build_training_views(tmp_path / "en", lang="en", pivot="en", sources=[source])
    assert read_examples(paths["mono"]) == EN
    assert read_view(paths["cross"]) == [e[1:] if e.negative else e[1:3] for e in EN]


def test_misaligned_translation_is_rejected(mt_files, tmp_path):
    source, translated = mt_files
    write_examples(translated, [FR[1], FR[0], FR[2]])
    with pytest.raises(FormatError, match=r"fr\.tsv:2: id 'nli-1'"):
        build_training_views(tmp_path / "fr", lang="fr", sources=[source], translations=[translated])
    with pytest.raises(ValueError, match="1 sources"):
        build_training_views(tmp_path / "fr", lang="fr", sources=[source], translations=[])
    assert not (tmp_path / "fr" / "mono.tsv").exists()


def test_views_from_provided_nli_files(tmp_path):
    root = tmp_path / "xnli"
    for split in ("dev", "test"):
        for code, rows in NLI.items():
            write_nli(root, split, code, rows)
    spec = {"format": "nli", "path": str(root), "splits": ["dev", "test"]}
    de = build_training_views(tmp_path / "de", lang="de", pivot="en", provided=spec)
    en = build_training_views(tmp_path / "en", lang="en", pivot="en", provided=spec)
    mono_de = read_examples(de["mono"])
    # one example per entailment line; the group's contradiction is its hard negative
    assert [e.id for e in mono_de] == ["dev:1", "dev:4", "dev:7", "test:1", "test:4", "test:7"]
    assert mono_de[0] == Example("dev:1", "Die Katze schläft.", "Eine Katze ruht.", "Die Katze rennt.")
    assert mono_de[2].negative == ""
    assert [e.id for e in read_examples(en["mono"])] == [e.id for e in mono_de]  # multi-parallel
    assert read_view(de["cross"])[0] == ("The cat sleeps.", "Eine Katze ruht.", "Die Katze rennt.")
    assert read_view(de["cross"])[2] == ("A dog barks.", "Ein Hund ist laut.")  # no contradiction in its group
    assert ("A cat is resting.", "Eine Katze ruht.") in read_view(de["parallel"])
    # the same format as views built from MT output
    for name, columns in (("mono", EXAMPLE_COLUMNS), ("cross", CROSS_COLUMNS), ("parallel", PAIR_COLUMNS)):
        assert de[name].read_text(encoding="utf-8").split("\n", 1)[0] == "\t".join(columns)


def test_provided_files_must_be_line_parallel(tmp_path):
    root = tmp_path / "xnli"
    write_nli(root, "dev", "en", NLI["en"])
    write_nli(root, "dev", "de", NLI["de"][:-1])
    spec = {"format": "nli", "path": str(root), "splits": ["dev"]}
    with pytest.raises(FormatError, match=r"dev-de\.tsv: 7 lines but .*dev-en\.tsv has 8"):
        build_training_views(tmp_path / "de", lang="de", provided=spec)
    swapped = list(NLI["de"])
    swapped[1], swapped[2] = swapped[2], swapped[1]
    write_nli(root, "dev", "de", swapped)
    with pytest.raises(FormatError, match=r"dev-de\.tsv:2: label 'contradiction' but .*dev-en\.tsv:2 has 'neutral'"):
        build_training_views(tmp_path / "de", lang="de", provided=spec)
    write_nli(root, "dev", "de", [("a", "b", "entails")] + NLI["de"][1:])
    with pytest.raises(FormatError, match=r"dev-de\.tsv:1: unknown NLI label 'entails'"):
        build_training_views(tmp_path / "de", lang="de", provided=spec)
    with pytest.raises(FileNotFoundError, match=r"dev-fr\.tsv"):
        build_training_views(tmp_path / "fr", lang="fr", provided=spec)


def test_provided_from_a_hub_copy_with_other_codes(tmp_path, monkeypatch):
    """format hub: datasets.load_dataset(path, code, split), labels as a ClassLabel (facebook/xnli layout)."""
    import datasets

    monkeypatch.setenv("HF_DATASETS_CACHE", str(tmp_path / "cache"))
    repo = tmp_path / "xnli-hub"
    features = datasets.Features({"premise": datasets.Value("string"), "hypothesis": datasets.Value("string"),
                                  "label": datasets.ClassLabel(names=list(training_views.NLI_LABELS))})
    configs = []
    for code, rows in (("eng", NLI["en"]), ("ger", NLI["de"])):
        (repo / code).mkdir(parents=True)
        data = {"premise": [r[0] for r in rows], "hypothesis": [r[1] for r in rows],
                "label": [training_views.NLI_LABELS.index(r[2]) for r in rows]}
        datasets.Dataset.from_dict(data, features=features).to_parquet(str(repo / code / "validation-0.parquet"))
        configs.append(f"- config_name: {code}\n  data_files:\n  - split: validation\n    path: {code}/validation-*\n")
    (repo / "README.md").write_text("---\nconfigs:\n" + "".join(configs) + "---\n", encoding="utf-8")
    spec = {"format": "hub", "path": str(repo), "splits": ["validation"], "code": "ger", "pivot_code": "eng"}
    paths = build_training_views(tmp_path / "de", lang="de", pivot="en", provided=spec)
    mono = read_examples(paths["mono"])
    assert mono[0] == Example("validation:1", "Die Katze schläft.", "Eine Katze ruht.", "Die Katze rennt.")
    assert len(mono) == 3


def test_read_view_errors_name_the_file_and_line(tmp_path):
    bad = tmp_path / "cross.tsv"
    bad.write_text("id\tpivot\ttarget\nx-0\tan English sentence\tune phrase\nx-1\tno target\n", encoding="utf-8")
    with pytest.raises(FormatError, match=r"cross\.tsv:3: 2 tab-separated fields, expected 3"):
        read_view(bad)
    bad.write_text("id\ttext\nx\ty\n", encoding="utf-8")
    with pytest.raises(FormatError, match=r"cross\.tsv:1: not a training view"):
        read_view(bad)
    with pytest.raises(FileNotFoundError, match="nothing.tsv"):
        read_view(tmp_path / "nothing.tsv")


def test_cli_builds_views(mt_files, tmp_path):
    source, translated = mt_files
    training_views.main(["--lang", "fr", "--pivot", "en", "--out-dir", str(tmp_path / "v"), "--source", str(source),
                         "--translated", str(translated)])
    assert read_view(tmp_path / "v" / "mono.tsv")[0] == (FR[0].anchor, FR[0].positive, FR[0].negative)
