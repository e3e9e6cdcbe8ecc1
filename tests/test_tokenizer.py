"""New per-language tokenizers: same type as the base, requested size, clear failures."""

from __future__ import annotations

import re

import pytest
from transformers import AutoTokenizer

from modsent.tokenizer import UnsupportedTokenizerError, main, train_tokenizer

GERMAN = [
    "der hund läuft schnell über die grüne wiese", "die katze schläft auf dem warmen sofa",
    "ein kind liest ein spannendes buch im garten", "wir trinken morgens kaffee in der küche",
    "das wetter ist heute sonnig und sehr warm", "meine schwester spielt gerne klavier am abend",
]


@pytest.fixture(scope="module")
def german_corpus(tmp_path_factory):
    path = tmp_path_factory.mktemp("de") / "de.txt"
    path.write_text("\n".join(GERMAN * 20) + "\n", encoding="utf-8")
    return path


def _tiny_xlmr_encoder(directory, corpus_lines):
    """A tiny XLM-R sentence encoder with a Unigram (sentencepiece-style) tokenizer, like mE5."""
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import Pooling, Transformer
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers
    from transformers import XLMRobertaConfig, XLMRobertaModel, XLMRobertaTokenizerFast

    tok = Tokenizer(models.Unigram())
    tok.normalizer = normalizers.NFKC()
    tok.pre_tokenizer = pre_tokenizers.Metaspace()
    tok.decoder = decoders.Metaspace()
    tok.train_from_iterator(corpus_lines, trainers.UnigramTrainer(
        vocab_size=150, special_tokens=["<s>", "<pad>", "</s>", "<unk>", "<mask>"], unk_token="<unk>"))
    tok.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>", pair="<s> $A </s> </s> $B </s>",
        special_tokens=[("<s>", tok.token_to_id("<s>")), ("</s>", tok.token_to_id("</s>"))])
    tokenizer = XLMRobertaTokenizerFast(tokenizer_object=tok, bos_token="<s>", eos_token="</s>", sep_token="</s>",
                                        cls_token="<s>", unk_token="<unk>", pad_token="<pad>", mask_token="<mask>")
    config = XLMRobertaConfig(vocab_size=len(tokenizer), hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
                              intermediate_size=32, max_position_embeddings=130, pad_token_id=1)
    hf_dir = directory / "hf"
    XLMRobertaModel(config).save_pretrained(hf_dir)
    tokenizer.save_pretrained(hf_dir)
    word = Transformer(str(hf_dir), max_seq_length=64)
    SentenceTransformer(modules=[word, Pooling(16)], device="cpu").save(str(directory))
    return directory


def test_wordpiece_base_gives_a_wordpiece_tokenizer(tiny_encoder, german_corpus, tmp_path):
    out = train_tokenizer(tiny_encoder, german_corpus, tmp_path / "tok", vocab_size=120)

    new = AutoTokenizer.from_pretrained(str(out))
    base = AutoTokenizer.from_pretrained(str(tiny_encoder))
    assert type(new) is type(base)
    assert new.backend_tokenizer.model.__class__.__name__ == "WordPiece"
    assert len(new) == 120
    assert new.special_tokens_map == base.special_tokens_map
    # trained on German: German text splits into fewer pieces; the framing is the base's
    sentence = "meine schwester spielt gerne klavier"
    assert len(new.tokenize(sentence)) < len(base.tokenize(sentence))
    ids = new("die katze")["input_ids"]
    assert ids[0] == new.cls_token_id and ids[-1] == new.sep_token_id


def test_unigram_base_gives_a_unigram_tokenizer_with_the_same_special_ids(tmp_path, german_corpus):
    base_dir = _tiny_xlmr_encoder(tmp_path / "xlmr", GERMAN * 5 + ["the cat sits on the mat"] * 10)
    out = train_tokenizer(base_dir, german_corpus, tmp_path / "tok", vocab_size=50)

    new = AutoTokenizer.from_pretrained(str(out))
    base = AutoTokenizer.from_pretrained(str(base_dir))
    assert type(new).__name__ == "XLMRobertaTokenizerFast"
    assert new.backend_tokenizer.model.__class__.__name__ == "Unigram"
    assert len(new) == 50
    # XLM-R derives position ids from the pad id, so the special ids must not move
    for name in ("cls_token_id", "pad_token_id", "sep_token_id", "unk_token_id"):
        assert getattr(new, name) == getattr(base, name)


def test_corpus_too_small_for_the_vocabulary_fails_without_output(tiny_encoder, german_corpus, tmp_path):
    with pytest.raises(ValueError, match="too small for a 5000-token vocabulary"):
        train_tokenizer(tiny_encoder, german_corpus, tmp_path / "tok", vocab_size=5000)
    assert not (tmp_path / "tok").exists()


def test_empty_corpus_fails_before_loading_the_model(tmp_path):
    empty = tmp_path / "empty.txt"
    empty.write_text("\n\n", encoding="utf-8")
    # the base model does not exist: the corpus check must come first
    with pytest.raises(ValueError, match="empty corpus"):
        train_tokenizer(tmp_path / "no-model", empty, tmp_path / "tok", vocab_size=100)


def test_unsupported_tokenizer_type_fails_clearly(tmp_path, german_corpus):
    """CANINE's tokenizer is character-level Python code (no HF tokenizers backend)."""
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import Pooling, Transformer
    from transformers import CanineConfig, CanineModel, CanineTokenizer

    hf_dir = tmp_path / "canine" / "hf"
    CanineModel(CanineConfig(hidden_size=16, num_hidden_layers=1, num_attention_heads=2, intermediate_size=32,
                             num_hash_buckets=64)).save_pretrained(hf_dir)
    CanineTokenizer().save_pretrained(hf_dir)
    SentenceTransformer(modules=[Transformer(str(hf_dir)), Pooling(16)], device="cpu").save(str(tmp_path / "canine"))

    with pytest.raises(UnsupportedTokenizerError, match="CanineTokenizer.*not a fast"):
        train_tokenizer(tmp_path / "canine", german_corpus, tmp_path / "tok", vocab_size=100)
    assert not (tmp_path / "tok").exists()


def test_max_sentences_limits_the_training_text(tiny_encoder, tmp_path):
    corpus = tmp_path / "mixed.txt"
    corpus.write_text("\n".join(["aaaa bbbb"] * 50 + ["zyxwvuts qponmlk"] * 50) + "\n", encoding="utf-8")
    out = train_tokenizer(tiny_encoder, corpus, tmp_path / "tok", vocab_size=10, max_sentences=50)
    vocab = AutoTokenizer.from_pretrained(str(out)).get_vocab()
    assert "a" in vocab and "z" not in vocab


def test_cli(tiny_encoder, german_corpus, tmp_path):
    main(["--base-model", str(tiny_encoder), "--corpus", str(german_corpus), "--out", str(tmp_path / "tok"),
          "--vocab-size", "100"])
    assert len(AutoTokenizer.from_pretrained(str(tmp_path / "tok"))) == 100


def test_wordpiece_training_is_deterministic(tmp_path):
    """tokenizers' own WordPiece trainer is not (huggingface/tokenizers#1794); ours is."""
    from modsent.wordpiece import learn_wordpiece_vocab

    words = ("the cat sat on the mat while another cat ate the rat and a bat sat " * 3).split()
    words += [w[::-1] for w in words]
    vocabs = {tuple(learn_wordpiece_vocab(words, 60, ["[PAD]", "[UNK]"])) for _ in range(8)}
    assert len(vocabs) == 1
    vocab = vocabs.pop()
    assert vocab[:2] == ("[PAD]", "[UNK]") and "##a" in vocab and "the" in vocab


@pytest.mark.parametrize("lang", ["de", "en", "fr"])
def test_counted_wordpiece_is_byte_identical_to_feeding_every_word(tiny_encoder, tmp_path, monkeypatch, lang):
    """Learning from word counts gives the files that feeding the trainer every word in text order gives."""
    from conftest import REPO

    from modsent import wordpiece

    corpus = REPO / "modsent" / "resources" / "tiny" / "corpus" / f"{lang}.txt"
    counted = train_tokenizer(tiny_encoder, corpus, tmp_path / "counted", vocab_size=150)
    words = list(wordpiece.pretokenize(AutoTokenizer.from_pretrained(str(tiny_encoder)).backend_tokenizer,
                                       corpus.read_text(encoding="utf-8").split("\n")))
    monkeypatch.setattr(wordpiece, "_repeated", lambda counts, marks: (
        w[0] + "".join(marks[c] for c in w[1:]) for w in words if w))
    every_word = train_tokenizer(tiny_encoder, corpus, tmp_path / "every", vocab_size=150)
    files = sorted(p.name for p in counted.iterdir())
    assert files == sorted(p.name for p in every_word.iterdir()) and "tokenizer.json" in files
    for name in files:
        assert (counted / name).read_bytes() == (every_word / name).read_bytes(), name


def test_wordpiece_memory_does_not_grow_with_the_text():
    """Ten times the text (same words) must not take ten times the memory: words are counted as they stream."""
    import itertools
    import tracemalloc

    from modsent.wordpiece import learn_wordpiece_vocab

    vocabulary = [w + str(i) for i, w in enumerate(["haus", "baum", "straße", "wasser", "licht"] * 40)]

    def peak(n_words):
        tracemalloc.start()
        learn_wordpiece_vocab(itertools.islice(itertools.cycle(vocabulary), n_words), 80, ["[UNK]"])
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        return peak

    small, large = peak(50_000), peak(500_000)
    assert large < 1.5 * small + 200_000, (small, large)  # a list of every word: ~8 bytes a word more


@pytest.mark.parametrize("kind", ["wordpiece", "unigram"])
def test_vocabulary_smaller_than_the_alphabet_fails_naming_both_sizes(kind, tiny_encoder, german_corpus, tmp_path):
    """The trainers keep every character of the corpus whatever size is asked for: 20 tokens
    would silently become a tokenizer of the alphabet's size."""
    base = tiny_encoder if kind == "wordpiece" else _tiny_xlmr_encoder(tmp_path / "xlmr", GERMAN * 5)
    with pytest.raises(ValueError, match=r"tokenizer.vocab_size 20 is smaller than the alphabet .*"
                                         r"(\d+) single-character tokens and 5 special tokens need (\d+)") as err:
        train_tokenizer(base, german_corpus, tmp_path / "tok", vocab_size=20)
    alphabet = len({c for line in GERMAN for c in line.replace(" ", "")})
    chars, needed = map(int, re.search(r"its (\d+) single.* need (\d+)", str(err.value)).groups())
    assert chars >= alphabet and needed == chars + 5
    assert not (tmp_path / "tok").exists()
