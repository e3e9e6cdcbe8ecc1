"""FOCUS initialisation: shared tokens keep their embeddings, new ones mix shared ones,
every cache stays inside the output, bad input fails early."""

from __future__ import annotations

import json
import os
import random

import pytest
import torch
from safetensors.torch import load_file

from modsent.focus import focus_embeddings, main, shared_token_ids
from modsent.tiny_models import build_tiny_encoder
from modsent.tokenizer import train_tokenizer


def pseudo_text(seed: int, lines: int = 1500, words: int = 400) -> list[str]:
    """Sentences of pseudo-words: enough distinct subwords that deepfocus recognises both
    vocabularies as WordPiece (it needs more than 100 "##" tokens)."""
    rng = random.Random(seed)
    syllables = [c + v for c in "bdfgklmnprstvz" for v in "aeiou"]
    lexicon = ["".join(rng.choice(syllables) for _ in range(rng.randint(1, 4))) for _ in range(words)]
    return [" ".join(rng.choice(lexicon) for _ in range(rng.randint(4, 12))) for _ in range(lines)]


@pytest.fixture(scope="module")
def language(tmp_path_factory):
    """A base encoder trained on one text, a new tokenizer on another, and its FOCUS output,
    made while $HOME and $XDG_CACHE_HOME point at directories that must stay empty."""
    root = tmp_path_factory.mktemp("focus")
    base_text, target_text = root / "base.txt", root / "target.txt"
    base_text.write_text("\n".join(pseudo_text(1)) + "\n", encoding="utf-8")
    target_text.write_text("\n".join(pseudo_text(2)) + "\n", encoding="utf-8")
    encoder = build_tiny_encoder(base_text, root / "encoder", vocab_size=600)
    tokenizer = train_tokenizer(encoder, target_text, root / "tokenizer", vocab_size=400)
    home, cache = root / "home", root / "xdg-cache"
    home.mkdir()
    with pytest.MonkeyPatch.context() as env:
        env.setenv("HOME", str(home))
        env.setenv("XDG_CACHE_HOME", str(cache))
        out = focus_embeddings(encoder, tokenizer, target_text, root / "focus", fasttext_dim=16,
                               fasttext_min_count=3, fasttext_bucket=1000)
        environment_after = dict(os.environ)
    return {"encoder": encoder, "tokenizer": tokenizer, "out": out, "home": home, "cache": cache,
            "environment_after": environment_after}


def _vocabularies(language):
    from sentence_transformers import SentenceTransformer
    from transformers import AutoTokenizer

    base = SentenceTransformer(str(language["encoder"]), device="cpu")
    return (AutoTokenizer.from_pretrained(str(language["tokenizer"])), base[0].tokenizer,
            base[0].auto_model.get_input_embeddings().weight.detach())


def test_shared_tokens_keep_their_base_embeddings(language):
    target, source, source_embeddings = _vocabularies(language)
    embeddings = load_file(str(language["out"] / "embeddings.safetensors"))["weight"]
    assert embeddings.shape == (len(target), source_embeddings.shape[1])

    shared = shared_token_ids(target, source)
    assert len(shared) > 100
    assert torch.equal(embeddings[shared[:, 0]], source_embeddings[shared[:, 1]])
    stats = json.loads((language["out"] / "stats.json").read_text())
    assert stats["shared_tokens"] == stats["copied_from_base"] == len(shared)


def test_new_tokens_are_mixtures_of_shared_ones(language):
    import fasttext

    target, source, source_embeddings = _vocabularies(language)
    embeddings = load_file(str(language["out"] / "embeddings.safetensors"))["weight"]
    shared = shared_token_ids(target, source)
    shared_rows = source_embeddings[shared[:, 1]]
    fasttext_words = set(fasttext.load_model(str(language["out"] / "fasttext.bin")).words)
    new = [i for t, i in target.get_vocab().items() if i not in set(shared[:, 0].tolist()) and t in fasttext_words]
    assert len(new) > 20
    # sparsemax weights are a convex combination: inside the shared embeddings' bounding box
    assert (embeddings[new] >= shared_rows.min(dim=0).values - 1e-6).all()
    assert (embeddings[new] <= shared_rows.max(dim=0).values + 1e-6).all()
    assert not (embeddings[new].abs().sum(dim=1) == 0).any()


def test_every_cache_stays_inside_the_output(language):
    assert sorted(p.name for p in language["out"].iterdir()) == ["embeddings.safetensors", "fasttext.bin", "stats.json"]
    assert list(language["home"].iterdir()) == []
    assert not language["cache"].exists()
    assert language["environment_after"]["XDG_CACHE_HOME"] == str(language["cache"])
    assert (language["out"] / "fasttext.bin").stat().st_size < 5_000_000


def test_empty_corpus_fails_before_loading_anything(tmp_path, language):
    empty = tmp_path / "empty.txt"
    empty.write_text("", encoding="utf-8")
    with pytest.raises(ValueError, match="empty corpus"):
        focus_embeddings(tmp_path / "no-model", language["tokenizer"], empty, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_missing_tokenizer_fails_clearly(tmp_path, language):
    with pytest.raises(FileNotFoundError, match="tokenizer directory not found"):
        focus_embeddings(language["encoder"], tmp_path / "nothing", language["out"] / "stats.json", tmp_path / "out")


def test_only_rare_new_tokens_fail_clearly(tmp_path, language):
    """The base vocabulary with its last three tokens replaced by strings the text never holds."""
    from transformers import AutoTokenizer, BertTokenizerFast

    base = AutoTokenizer.from_pretrained(str(language["encoder"]))
    vocab = sorted(base.get_vocab(), key=base.get_vocab().get)
    vocab_file = tmp_path / "vocab.txt"
    vocab_file.write_text("\n".join(vocab[:-3] + ["ʒʒ1", "ʒʒ2", "ʒʒ3"]) + "\n", encoding="utf-8")
    BertTokenizerFast(vocab_file=str(vocab_file)).save_pretrained(str(tmp_path / "tok"))
    corpus = tmp_path / "base.txt"
    corpus.write_text("\n".join(pseudo_text(1)) + "\n", encoding="utf-8")
    with pytest.raises(ValueError, match="none of the 3 new tokens occurs 3 times"):
        focus_embeddings(language["encoder"], tmp_path / "tok", corpus, tmp_path / "out", fasttext_dim=8,
                         fasttext_min_count=3)
    assert not (tmp_path / "out").exists()


def test_cli_on_a_vocabulary_inside_the_base_one(tmp_path, tiny_encoder, tiny_corpus):
    """The tiny encoder's tokenizer was trained on the same text: every new token is shared."""
    from sentence_transformers import SentenceTransformer
    from transformers import AutoTokenizer

    tokenizer = train_tokenizer(tiny_encoder, tiny_corpus, tmp_path / "tok", vocab_size=100)
    main(["--base-model", str(tiny_encoder), "--tokenizer", str(tokenizer), "--corpus", str(tiny_corpus),
          "--out", str(tmp_path / "focus"), "--fasttext-dim", "8", "--fasttext-min-count", "1"])

    embeddings = load_file(str(tmp_path / "focus" / "embeddings.safetensors"))["weight"]
    base = SentenceTransformer(str(tiny_encoder), device="cpu")
    shared = shared_token_ids(AutoTokenizer.from_pretrained(str(tokenizer)), base[0].tokenizer)
    assert len(shared) == len(embeddings) == 100
    assert torch.equal(embeddings, base[0].auto_model.get_input_embeddings().weight.detach()[shared[:, 1]])


def test_reproducible_fasttext_gives_the_same_embeddings_twice(language, tmp_path):
    text = language["out"].parent / "target.txt"
    runs = [
        focus_embeddings(language["encoder"], language["tokenizer"], text, tmp_path / f"run{i}", fasttext_dim=16,
                         fasttext_min_count=3, fasttext_bucket=1000, threads=2, reproducible=True, seed=5)
        for i in range(2)
    ]
    first, second = (load_file(str(run / "embeddings.safetensors"))["weight"] for run in runs)
    assert torch.equal(first, second)
    assert not torch.isnan(first).any()
    stats = json.loads((runs[0] / "stats.json").read_text())
    assert stats["fasttext"]["reproducible"] and stats["fasttext"]["bucket"] == 0
    assert stats["fasttext_words"] > 10
    assert not list(runs[0].glob("*.vec")), "the initial-vectors file is left behind"


def test_default_bucket_count_is_fasttexts_own():
    """The paper keeps fastText's defaults but the dimension; the bucket count is one of them,
    in the code, the schema and the paper config."""
    import fasttext.FastText
    import yaml

    from conftest import REPO

    from modsent.config import _schema
    from modsent.focus import FASTTEXT_BUCKET

    assert FASTTEXT_BUCKET == fasttext.FastText.unsupervised_default["bucket"]
    assert _schema()["properties"]["focus"]["properties"]["fasttext_bucket"]["default"] == FASTTEXT_BUCKET
    paper = yaml.safe_load((REPO / "workflow_config.yaml").read_text(encoding="utf-8"))
    assert paper["focus"]["fasttext_bucket"] == FASTTEXT_BUCKET
