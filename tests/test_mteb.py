"""MTEB runs the modular encoder end to end on a tiny custom task with local data: a
German-English STS task from the package's tiny FLORES sample (parallel rows score 1,
shuffled rows 0), subsets "de-en" (routed by the identifier among de and en) and "de"."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from scipy.stats import spearmanr
from test_identify import CORPORA, FLORES

mteb = pytest.importorskip("mteb")
from datasets import Dataset  # noqa: E402
from mteb.abstasks.sts import AbsTaskSTS  # noqa: E402
from mteb.abstasks.task_metadata import TaskMetadata  # noqa: E402

from modsent.identify import train_language_identifier  # noqa: E402
from modsent.modules.composition import ModularEncoder  # noqa: E402
from modsent.mteb_encoder import MTEBModularEncoder, subset_languages  # noqa: E402

GERMAN = FLORES["de"].read_text(encoding="utf-8").splitlines()[:20]
ENGLISH = FLORES["en"].read_text(encoding="utf-8").splitlines()[:20]
SHIFTED = ENGLISH[1:] + ENGLISH[:1]
# no pair of identical sentences: their cosines tie at 1 up to rounding, and ranks would differ
PAIRS = {"de-en": (GERMAN + GERMAN, ENGLISH + SHIFTED), "de": (GERMAN + GERMAN, GERMAN[1:] + GERMAN[:1] + GERMAN[2:] + GERMAN[:2])}
SCORES = [1.0] * 20 + [0.0] * 20


class TinyCrossLingualSTS(AbsTaskSTS):
    metadata = TaskMetadata(
        name="ModsentTinyCrossLingualSTS", type="STS", main_score="cosine_spearman",
        description="German-English pairs of the FLORES devtest sample shipped with modsent.",
        reference="https://github.com/facebookresearch/flores", dataset={"path": "local", "revision": "local"},
        category="t2t", eval_splits=["test"], eval_langs={"de-en": ["deu-Latn", "eng-Latn"], "de": ["deu-Latn"]},
        date=("2022-01-01", "2022-01-01"), dialect=[], domains=[], task_subtypes=[], license="cc-by-sa-4.0",
        annotations_creators="derived", modalities=["text"], sample_creation="found", bibtex_citation="",
    )
    min_score = 0
    max_score = 1

    def load_data(self, num_proc: int | None = None, **kwargs: Any) -> None:
        self.dataset = {subset: {"test": Dataset.from_dict({"sentence1": s1, "sentence2": s2, "score": SCORES})}
                        for subset, (s1, s2) in PAIRS.items()}
        self.data_loaded = True


@pytest.fixture(scope="module")
def encoder(every_module, tiny_encoder):
    store = every_module["store"]
    if not (store / "identifier").exists():
        train_language_identifier({lang: CORPORA[lang] for lang in ("de", "en")}, store / "identifier")
    return ModularEncoder(store, str(tiny_encoder), variant="mod_mc_jt", device="cpu")


class Recording(MTEBModularEncoder):
    """Keeps what each encode call got and gave."""

    calls: list

    def encode(self, inputs, *, hf_subset, **kwargs):
        texts = [text for batch in inputs for text in batch["text"]]
        out = super().encode([{"text": texts}], hf_subset=hf_subset, **kwargs)
        self.calls.append((hf_subset, texts, out))
        return out


def test_mteb_evaluates_the_routed_encoder(encoder, tmp_path):
    model = Recording(encoder)
    model.calls = []
    result = mteb.evaluate(model, tasks=[TinyCrossLingualSTS()], cache=None, show_progress_bar=False)
    scores = {s["hf_subset"]: s["cosine_spearman"] for s in result.task_results[0].scores["test"]}
    assert set(scores) == {"de-en", "de"} and all(np.isfinite(v) for v in scores.values())
    # every side of every subset was encoded with its own language's modules
    languages = {**{t: "de" for t in GERMAN}, **{t: "en" for t in ENGLISH}}
    assert {subset for subset, _, _ in model.calls} == {"de-en", "de"}
    for subset, texts, out in model.calls:
        expected = np.stack([encoder.encode([t], lang=languages[t])[0] for t in texts])
        np.testing.assert_allclose(out, expected, atol=1e-5, err_msg=subset)
    # and the figure is the one of those embeddings (cosines, Spearman against the gold)
    s1, s2 = PAIRS["de-en"]
    a, b = encoder.encode(s1, lang="de"), encoder.encode(s2, lang="en")
    cosine = (a * b).sum(1) / np.linalg.norm(a, axis=1) / np.linalg.norm(b, axis=1)
    assert scores["de-en"] == pytest.approx(spearmanr(cosine, SCORES).statistic, abs=1e-6)


def test_subset_languages_come_from_the_metadata():
    metadata = TinyCrossLingualSTS.metadata
    assert subset_languages(metadata, "de-en") == ["de", "en"] and subset_languages(metadata, "de") == ["de"]
    with pytest.raises(ValueError, match="no languages for subset 'fr'"):
        subset_languages(metadata, "fr")
