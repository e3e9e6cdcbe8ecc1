"""Evaluation embeddings: the cache (`<root>/<lang>/<variant>.npy`, rows in the order of the
language's texts file), the embedding job of the workflow and the lookup scorers read."""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path
from typing import Mapping

import numpy as np

from modsent.evaluation.texts import read_texts
from modsent.progress import Progress
from modsent.tsv import clean_text
from modsent.utils import atomic_output

log = logging.getLogger("modsent.evaluation")


def embeddings_path(root: str | Path, lang: str, variant: str) -> Path:
    """The cache layout: `<root>/<lang>/<variant>.npy`, one root per dataset."""
    return variant_embeddings(Path(root) / lang, variant)


def variant_embeddings(lang_dir: str | Path, variant: str) -> Path:
    """One language's embeddings by one variant, in that language's folder of the cache."""
    return Path(lang_dir) / f"{variant}.npy"


def encode_texts(encoder, texts_path: str | Path, *, batch_size: int = 64) -> np.ndarray:
    """Encode a texts file with a sentence-transformers-like encoder; float32, one row per line."""
    texts = read_texts(texts_path)
    if not texts:
        return np.zeros((0, encoder.get_sentence_embedding_dimension()), dtype=np.float32)
    emb = encoder.encode(texts, batch_size=batch_size, convert_to_numpy=True, show_progress_bar=False)
    return np.asarray(emb, dtype=np.float32)


def save_embeddings(emb: np.ndarray, out_path: str | Path) -> None:
    with atomic_output(out_path) as tmp:
        with open(tmp, "wb") as f:
            np.save(f, emb)


def encode_text_file(encoder, texts_path: str | Path, out_path: str | Path, *, batch_size: int = 64) -> np.ndarray:
    """Encode the texts file and save the embeddings as .npy."""
    emb = encode_texts(encoder, texts_path, batch_size=batch_size)
    save_embeddings(emb, out_path)
    return emb


def model_fingerprint(model: str) -> str:
    """What a model's embeddings are keyed by: a hash of every file of a local model directory
    (weights, config, tokenizer), so another model never gets its cache, whatever its folder's
    name; a hub id stands for itself."""
    root = Path(model)
    if not root.is_dir():
        return f"hub id {model}"
    digest = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(root)).encode("utf-8") + b"\0")
        with open(path, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()


def embed_cached(encoder, texts_path: str | Path, out_path: str | Path, model_key: str, *,
                 batch_size: int = 64) -> bool:
    """Encode the texts file into `out_path` unless the embeddings there were made from the same
    model (`model_fingerprint`), texts and sequence length; return whether it encoded.
    The key is kept beside the embeddings, in `<name>.key`."""
    out_path = Path(out_path)
    digest = hashlib.sha256(f"{model_key}\0{encoder.max_seq_length}\0".encode("utf-8"))
    digest.update(Path(texts_path).read_bytes())
    key, key_path = digest.hexdigest(), out_path.with_suffix(".key")
    if out_path.is_file() and key_path.is_file() and key_path.read_text(encoding="utf-8") == key:
        return False
    key_path.unlink(missing_ok=True)  # no key while the embeddings are being replaced
    encode_text_file(encoder, texts_path, out_path, batch_size=batch_size)
    with atomic_output(key_path) as tmp:
        tmp.write_text(key, encoding="utf-8")
    return True


def embed_job(encoders: Mapping[str, Mapping[str, Mapping[str, str]]], texts: Mapping[str, str | Path],
              out_dirs: Mapping[str, str | Path], *, base_model: str, batch_size: int = 64,
              max_seq_length: int = 128, device: str = "auto") -> int:
    """Encode each language's texts file (`texts`: language -> <lang>.txt) with the encoder of
    each variant (`encoders`: language -> variant -> the modules it is composed of, as
    Results.encoders lists them) and write <out_dirs[lang]>/<variant>.npy; return how many
    encoders were composed.

    Variants whose encoder is built from the same modules encode once (English is LA + SE in
    every Mod variant; the base model and a Full model serve every language), and only one
    encoder is in memory at a time.
    """
    from modsent.modules.composition import encoder_from_modules

    users: dict[tuple, list[tuple[str, str]]] = {}
    modules_of: dict[tuple, Mapping[str, str]] = {}
    for lang, variants in encoders.items():
        for variant, modules in variants.items():
            key = tuple(sorted((role, str(path)) for role, path in modules.items()))
            modules_of[key] = modules
            users.setdefault(key, []).append((lang, variant))
    counts = {lang: len(read_texts(texts[lang])) for lang in encoders}
    total = sum(counts[lang] for shared in users.values() for lang in dict.fromkeys(lang for lang, _ in shared))
    progress, done = Progress(total, "sentences"), 0
    for key, shared in users.items():
        encoder = encoder_from_modules(base_model, modules_of[key], device=device)
        encoder.max_seq_length = max_seq_length
        for lang in dict.fromkeys(lang for lang, _ in shared):
            emb = encode_texts(encoder, texts[lang], batch_size=batch_size)
            names = [variant for other, variant in shared if other == lang]
            for variant in names:
                save_embeddings(emb, variant_embeddings(out_dirs[lang], variant))
            done += counts[lang]
            log.info("%s: %s embeddings for %s; %d/%d sentences, %s", lang, emb.shape, ", ".join(names), done, total,
                     progress.status(done))
        del encoder
    return len(users)


class EmbeddingLookup:
    """Embeddings of arbitrary texts of one dataset for one variant, served from the cache:
    each language's texts file (`texts`: language -> <lang>.txt) and its folder of the cache
    (`embeddings`: language -> the folder holding <variant>.npy)."""

    def __init__(self, texts: Mapping[str, str | Path], embeddings: Mapping[str, str | Path], variant: str):
        self.texts = {lang: Path(path) for lang, path in texts.items()}
        self.embeddings = {lang: Path(path) for lang, path in embeddings.items()}
        self.variant = variant
        self._cache: dict[str, tuple[dict[str, int], np.ndarray]] = {}

    def _npy(self, lang: str) -> Path:
        path = variant_embeddings(self.embeddings[lang], self.variant) if lang in self.embeddings else None
        if path is None or not path.is_file():
            raise FileNotFoundError(f"no {lang} embeddings of variant {self.variant!r}"
                                    + (f" in {self.embeddings[lang]}" if lang in self.embeddings else ""))
        return path

    def _load(self, lang: str):
        if lang not in self._cache:
            if lang not in self.texts:
                raise KeyError(f"no {lang} texts file given to the embedding lookup")
            texts = read_texts(self.texts[lang])
            npy = self._npy(lang)
            emb = np.load(npy)
            if len(texts) != len(emb):
                raise ValueError(
                    f"{npy} has {len(emb)} rows but {self.texts[lang]} has {len(texts)} texts: rerun the embedding job"
                )
            self._cache[lang] = ({t: i for i, t in enumerate(texts)}, emb)
        return self._cache[lang]

    def __call__(self, lang: str, texts) -> np.ndarray:
        index, emb = self._load(lang)
        try:
            rows = [index[clean_text(t)] for t in texts]
        except KeyError as e:
            raise KeyError(f"text not in the {lang} embedding cache of {self.texts[lang]}: {e.args[0]!r}") from None
        return emb[rows]
