"""Evaluation texts: per (dataset, language), every distinct text any scoring unit needs,
one a line (the embedding cache's row order), and the datasets they come from."""

from __future__ import annotations

from pathlib import Path

from modsent.tsv import clean_text
from modsent.utils import atomic_output


def write_texts(dataset, lang: str, out_path: str | Path) -> int:
    """Write every text of `lang` the dataset needs, one per line; return the count."""
    texts = [clean_text(t) for t in dataset.texts(lang)]
    with atomic_output(out_path) as tmp:
        tmp.write_text("".join(t + "\n" for t in texts), encoding="utf-8")
    return len(texts)


def read_texts(path: str | Path) -> list[str]:
    with open(path, encoding="utf-8") as f:
        return [line.rstrip("\n") for line in f]



def texts_job(dataset_name: str, spec: dict, lang: str, out: str | Path) -> int:
    """The texts of one language of one dataset, unrestricted by the configured languages
    (so adding a language never changes another language's texts and embeddings)."""
    return write_texts(open_dataset(dataset_name, spec, every_language()), lang, out)


def open_dataset(name: str, spec: dict, languages):
    from modsent.evaldata import get_dataset

    return get_dataset(name, spec, list(languages))


def open_datasets(specs: dict, languages) -> dict:
    """Every configured dataset opened; a set that is missing or unreadable fails together with
    all the others, in one message naming each (a fresh checkout lacks every raw clone)."""
    from modsent.evaldata import DataFormatError, DataSourceError

    opened, problems = {}, []
    for name, spec in specs.items():
        try:
            opened[name] = open_dataset(name, spec, languages)
        except (DataSourceError, DataFormatError) as e:
            problems.append(f"evaluation.datasets.{name}: {e}")
    if problems:
        raise DataSourceError("evaluation data missing or unreadable (README.md, 'Pointing models and data at "
                              "local paths', says where each raw set is published):\n  " + "\n  ".join(problems))
    return opened


def every_language() -> list[str]:
    """All codes modsent knows: a dataset opened with these is not restricted at all."""
    from modsent.languages import known_languages

    return [lang.code for lang in known_languages()]
