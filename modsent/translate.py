"""Machine translation of the English paraphrase sets with NLLB on CTranslate2.

Three steps, each a CLI subcommand and a function:

    convert  NLLB checkpoint (hub id or local dir) -> CTranslate2 dir + tokenizer   `convert_nllb`
    shard    translate one shard of a source's unique sentences into one language   `translate_shard`
    gather   join the shards back onto the source rows, check the alignment         `gather_translations`

A source (``results/mt/source/{dataset}.tsv``) has rows ``id anchor positive negative``.
Its *unique* non-empty sentences, in first-occurrence order, are what gets translated
(NLI triplets repeat their premises); shard k of n takes a contiguous slice of them.
Within a shard the sentences are sorted by token length and batched under a token budget;
NLLB's target language token is forced as the target prefix. Empty cells stay empty.
A shard file (``position source translation``) is written atomically, so a killed job
leaves no output that looks complete and reruns alone.

Resumable: a shard is translated in chunks (CHUNK_BATCHES batches' worth of tokens, a
function of the shard alone), each saved atomically to the job's checkpoint directory
(modsent.checkpoint) as soon as it is translated. A rerun checks the saved chunks against
the source and translates only the others, with the very same batches, so a killed job
loses at most one chunk and its shard file is the one an uninterrupted job writes.
"""

from __future__ import annotations

import argparse
import ctypes
import importlib.util
import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Sequence

from modsent.checkpoint import CheckpointDir, default_checkpoint_dir, fingerprint
from modsent.languages import nllb_language_token
from modsent.progress import Progress
from modsent.tsv import (
    EXAMPLE_COLUMNS, Example, FormatError, clean_text, read_examples, read_table, write_examples, write_table,
)
from modsent.training_views import check_aligned
from modsent.utils import atomic_output, pick_device, setup_logging

log = logging.getLogger("modsent.translate")

SHARD_COLUMNS = ("position", "source", "translation")
# A chunk (the unit a shard's checkpoint saves) holds this many batches' worth of tokens;
# CTranslate2 reads as much ahead when it sorts and batches an iterable.
CHUNK_BATCHES = 16

CUBLAS_FIX = (
    "CTranslate2's CUDA build needs CUDA 12 cuBLAS (libcublas.so.12), which was not found. "
    "Install it into this environment: pip install 'modsent[gpu]' (or pip install "
    "nvidia-cublas-cu12==12.9.3.13; envs/modsent.yaml lists it), or put a directory holding "
    "libcublas.so.12 on LD_LIBRARY_PATH."
)


class CudaLibraryError(RuntimeError):
    """A CUDA library CTranslate2 loads at run time is missing; the message names the fix."""


# --- CUDA 12 cuBLAS -------------------------------------------------------------------------


def _cublas_dirs() -> list[Path]:
    """lib/ directories of an installed nvidia-cublas-cu12 wheel (namespace package nvidia.cublas)."""
    try:
        spec = importlib.util.find_spec("nvidia.cublas")
    except ModuleNotFoundError:
        return []
    if spec is None:
        return []
    return [Path(p) / "lib" for p in (spec.submodule_search_locations or [])]


def preload_cublas12() -> str:
    """Make libcublas.so.12 loadable for CTranslate2; return where it came from.

    The system's library wins; otherwise the nvidia-cublas-cu12 wheel's copy is loaded
    with RTLD_GLOBAL, so CTranslate2's later dlopen("libcublas.so.12") finds it.
    """
    try:
        ctypes.CDLL("libcublas.so.12", mode=ctypes.RTLD_GLOBAL)
        return "libcublas.so.12"
    except OSError:
        pass
    for lib_dir in _cublas_dirs():
        cublas = lib_dir / "libcublas.so.12"
        if cublas.is_file():
            lt = lib_dir / "libcublasLt.so.12"
            if lt.is_file():
                ctypes.CDLL(str(lt), mode=ctypes.RTLD_GLOBAL)
            ctypes.CDLL(str(cublas), mode=ctypes.RTLD_GLOBAL)
            return str(cublas)
    raise CudaLibraryError(CUBLAS_FIX)


# --- conversion -----------------------------------------------------------------------------


def convert_nllb(model: str, out_dir: str | Path, *, quantization: str | None = None) -> Path:
    """Convert an NLLB checkpoint (hub id or local dir) to CTranslate2, with its tokenizer.

    `quantization` is CTranslate2's weight type (float16, int8_float16, ...; None keeps
    the checkpoint's). The tokenizer files sit next to model.bin, so a translation job
    needs nothing but this directory.
    """
    from ctranslate2.converters import TransformersConverter
    from transformers import AutoConfig, AutoTokenizer

    if Path(model).exists() and not (Path(model) / "config.json").is_file():
        raise FileNotFoundError(f"{model}: not a Hugging Face model directory (no config.json)")
    model_type = AutoConfig.from_pretrained(model).model_type
    if model_type != "m2m_100":
        raise ValueError(f"{model}: model_type {model_type!r} is not an NLLB (m2m_100) checkpoint")
    t0 = time.perf_counter()
    with atomic_output(out_dir) as tmp:
        # float16 targets lose nothing by loading in float16, and need half the memory (3.3B: 6.6 GB)
        half = quantization in ("float16", "int8_float16")
        TransformersConverter(model, load_as_float16=half, low_cpu_mem_usage=True).convert(
            str(tmp), quantization=quantization, force=True)
        AutoTokenizer.from_pretrained(model).save_pretrained(str(tmp))
    log.info("converted %s -> %s (quantization %s) in %.1f s", model, out_dir, quantization, time.perf_counter() - t0)
    return Path(out_dir)


# --- translation ----------------------------------------------------------------------------


@dataclass
class TranslationStats:
    sentences: int = 0
    source_tokens: int = 0
    target_tokens: int = 0
    truncated: int = 0
    seconds: float = 0.0

    def summary(self) -> str:
        s = max(self.seconds, 1e-9)
        return (f"throughput: {self.sentences} sentences in {self.seconds:.1f} s = "
                f"{self.sentences / s:.1f} sentences/s, {self.target_tokens / s:.1f} target tokens/s "
                f"({self.source_tokens / s:.1f} source tokens/s); truncated {self.truncated} over-long inputs")


class NllbTranslator:
    """A CTranslate2 NLLB model and its tokenizer (a directory written by `convert_nllb`)."""

    def __init__(self, model_dir: str | Path, *, source_lang: str = "en", device: str = "auto",
                 compute_type: str = "default", threads: int = 1):
        import ctranslate2
        from transformers import AutoTokenizer

        model_dir = Path(model_dir)
        if not (model_dir / "model.bin").is_file():
            raise FileNotFoundError(f"{model_dir}: not a CTranslate2 model directory (no model.bin)")
        self.device = pick_device(device)
        if self.device == "cuda" and ctranslate2.get_cuda_device_count() == 0:
            log.warning("torch sees a GPU but CTranslate2 has no CUDA device: translating on the CPU")
            self.device = "cpu"
        if self.device == "cuda":
            log.info("cuBLAS: %s", preload_cublas12())
        supported = ctranslate2.get_supported_compute_types(self.device)
        if compute_type not in supported and compute_type not in ("default", "auto"):
            log.warning("compute type %s is not supported on %s (%s): using the default",
                        compute_type, self.device, sorted(supported))
            compute_type = "default"
        self.source_token = nllb_language_token(source_lang)
        self.tokenizer = AutoTokenizer.from_pretrained(str(model_dir), src_lang=self.source_token)
        self.translator = ctranslate2.Translator(str(model_dir), device=self.device, compute_type=compute_type,
                                                 intra_threads=threads)
        self.model_dir = model_dir
        self.stats = TranslationStats()
        log.info("loaded %s on %s (compute type %s)", model_dir, self.device, compute_type)

    def target_token(self, lang: str) -> str:
        token = nllb_language_token(lang)
        if token not in self.tokenizer.get_vocab():
            raise ValueError(f"{self.model_dir}: the model's vocabulary has no language token {token} for {lang!r}")
        return token

    def encode(self, texts: Sequence[str], max_input_tokens: int) -> tuple[list[list[str]], int]:
        """Source tokens (language token ... </s>) of each text, cut to `max_input_tokens`."""
        ids = self.tokenizer(list(texts), add_special_tokens=True)["input_ids"]
        eos = self.tokenizer.eos_token
        tokens, truncated = [], 0
        for seq in ids:
            seq = self.tokenizer.convert_ids_to_tokens(seq)
            if len(seq) > max_input_tokens:
                seq = seq[: max_input_tokens - 1] + [eos]
                truncated += 1
            tokens.append(seq)
        return tokens, truncated

    def plan(self, texts: Sequence[str], *, max_input_tokens: int = 256,
             max_batch_tokens: int = 4096) -> tuple[list[list[str]], list[list[int]]]:
        """Source tokens of each text and the chunks to translate: indices of the non-empty
        texts, shortest first, cut under a budget of CHUNK_BATCHES * max_batch_tokens padded tokens."""
        todo = [i for i, text in enumerate(texts) if text]
        encoded, truncated = self.encode([texts[i] for i in todo], max_input_tokens)
        self.stats.truncated += truncated
        tokens: list[list[str]] = [[] for _ in texts]
        for i, seq in zip(todo, encoded):
            tokens[i] = seq
        chunks, longest = [], 0
        for i in sorted(todo, key=lambda i: len(tokens[i])):
            longest = max(longest, len(tokens[i]))
            if not chunks or (len(chunks[-1]) + 1) * longest > CHUNK_BATCHES * max_batch_tokens:
                chunks.append([])
                longest = len(tokens[i])
            chunks[-1].append(i)
        return tokens, chunks

    def translate_chunk(self, tokens: Sequence[list[str]], target_lang: str, *, beam_size: int = 4,
                        max_length: int = 256, max_batch_tokens: int = 4096, min_length: int = 0) -> list[str]:
        """Translations of the token sequences of one chunk (`plan`), in order; counted in `self.stats`.

        max_length / min_length count generated tokens after the forced language token.
        """
        target = self.target_token(target_lang)
        t0 = time.perf_counter()
        results = self.translator.translate_iterable(
            iter(tokens), ([target] for _ in tokens),
            max_batch_size=max_batch_tokens, batch_type="tokens", beam_size=beam_size,
            max_decoding_length=max_length + 1, min_decoding_length=min_length + 1 if min_length else 1,
            max_input_length=0,
        )
        specials = set(self.tokenizer.all_special_tokens)
        translations = []
        try:
            for source, result in zip(tokens, results):
                hypothesis = result.hypotheses[0]
                if hypothesis and hypothesis[0] == target:
                    hypothesis = hypothesis[1:]
                words = [t for t in hypothesis if t not in specials]
                self.stats.source_tokens += len(source)
                self.stats.target_tokens += len(hypothesis)
                self.stats.sentences += 1
                translations.append(clean_text(self.tokenizer.convert_tokens_to_string(words)))
        except RuntimeError as e:
            if "libcublas" in str(e):
                raise CudaLibraryError(f"{CUBLAS_FIX} (CTranslate2: {e})") from e
            raise
        finally:
            self.stats.seconds += time.perf_counter() - t0
        return translations

    def translate(self, texts: Sequence[str], target_lang: str, *, beam_size: int = 4, max_length: int = 256,
                  max_input_tokens: int = 256, max_batch_tokens: int = 4096,
                  min_length: int = 0) -> Iterator[tuple[int, str]]:
        """Yield (index into texts, translation), shortest inputs first; empty texts give "".

        `self.stats` holds the counts and the time once the iterator is exhausted.
        """
        self.target_token(target_lang)  # an unknown language fails before any work
        self.stats = TranslationStats()
        for i, text in enumerate(texts):
            if not text:
                yield i, ""
        tokens, chunks = self.plan(texts, max_input_tokens=max_input_tokens, max_batch_tokens=max_batch_tokens)
        for chunk in chunks:
            translations = self.translate_chunk([tokens[i] for i in chunk], target_lang, beam_size=beam_size,
                                                max_length=max_length, max_batch_tokens=max_batch_tokens,
                                                min_length=min_length)
            yield from zip(chunk, translations)


def unique_sentences(examples: Sequence[Example]) -> list[str]:
    """Distinct non-empty texts of the rows (anchor, positive, negative), first occurrence first."""
    seen: dict[str, None] = {}
    for e in examples:
        for text in (e.anchor, e.positive, e.negative):
            if text:
                seen.setdefault(text)
    return list(seen)


def shard_bounds(total: int, shard: int, num_shards: int) -> tuple[int, int]:
    """[start, end) of shard `shard` of `num_shards` contiguous, near-equal slices of `total` items."""
    if not 0 <= shard < num_shards:
        raise ValueError(f"shard {shard} is not in 0..{num_shards - 1}")
    return total * shard // num_shards, total * (shard + 1) // num_shards


def translate_shard(
    source: str | Path,
    model_dir: str | Path,
    out_path: str | Path,
    *,
    lang: str,
    source_lang: str = "en",
    shard: int = 0,
    num_shards: int = 1,
    beam_size: int = 4,
    max_length: int = 256,
    max_input_tokens: int = 256,
    max_batch_tokens: int = 4096,
    device: str = "auto",
    compute_type: str = "default",
    threads: int = 1,
    checkpoint_dir: str | Path | None = None,
) -> Path:
    """Translate shard `shard` of the unique sentences of `source` into `lang`.

    Writes ``position source translation`` lines (position = index in the source's unique
    sentence list), shortest sentences first, atomically onto `out_path`. Each translated
    chunk is kept in `checkpoint_dir` (default "<out_path>.checkpoints") until the shard
    is written; a rerun translates only the chunks that are not there.
    """
    out_path = Path(out_path)
    target = nllb_language_token(lang)  # an unsupported language fails before the model loads
    sentences = unique_sentences(read_examples(source))
    start, end = shard_bounds(len(sentences), shard, num_shards)
    part = sentences[start:end]
    log.info("%s: shard %d/%d = unique sentences %d..%d of %d -> %s (%s)",
             source, shard, num_shards, start, end, len(sentences), lang, target)
    translator = NllbTranslator(model_dir, source_lang=source_lang, device=device, compute_type=compute_type,
                                threads=threads)
    decoding = dict(beam_size=beam_size, max_length=max_length, max_batch_tokens=max_batch_tokens)
    directory = CheckpointDir(checkpoint_dir or default_checkpoint_dir(out_path), fingerprint(
        {"lang": target, "source_lang": source_lang, "shard": shard, "num_shards": num_shards,
         "max_input_tokens": max_input_tokens, "device": translator.device, "compute_type": compute_type,
         **decoding}, {"source": source, "model": model_dir}), output=out_path)
    tokens, chunks = translator.plan(part, max_input_tokens=max_input_tokens, max_batch_tokens=max_batch_tokens)

    translations: list[str | None] = [None] * len(part)
    for number, chunk in enumerate(chunks):
        saved = _saved_chunk(directory / _chunk_name(number), chunk, part, start)
        for k, text in zip(chunk, saved or ()):
            translations[k] = text
    done = sum(t is not None for t in translations)
    if done:
        log.info("resuming: %d of %d sentences already translated (%s)", done, len(part), directory.root)
    progress = Progress(len(part), "sentences", done=done)
    for number, chunk in enumerate(chunks):
        if translations[chunk[0]] is not None:
            continue
        texts = translator.translate_chunk([tokens[k] for k in chunk], lang, **decoding)
        write_table(directory / _chunk_name(number), SHARD_COLUMNS,
                    [(str(start + k), part[k], text) for k, text in zip(chunk, texts)])
        for k, text in zip(chunk, texts):
            translations[k] = text
        done += len(chunk)
        log.info("chunk %d/%d: %d/%d sentences, %s", number + 1, len(chunks), done, len(part),
                 progress.status(done))
    write_table(out_path, SHARD_COLUMNS,
                [(str(start + k), part[k], translations[k]) for chunk in chunks for k in chunk])
    directory.remove()
    stats = translator.stats
    if stats.truncated:
        log.warning("truncated %d of %d sentences longer than max_input_tokens=%d",
                    stats.truncated, len(part), max_input_tokens)
    log.info(stats.summary())
    return out_path


def _chunk_name(number: int) -> str:
    return f"chunk-{number:06d}.tsv"


def _saved_chunk(path: Path, chunk: Sequence[int], part: Sequence[str], start: int) -> list[str] | None:
    """The translations of a chunk a previous attempt saved, if `path` holds exactly its
    sentences (positions and source texts checked against the source); else None."""
    if not path.is_file():
        return None
    try:
        rows = read_table(path, SHARD_COLUMNS)[1]
    except FormatError as e:
        log.warning("%s: translating this chunk again", e)
        return None
    if [(position, english) for position, english, _ in rows] != [(str(start + k), part[k]) for k in chunk]:
        log.warning("%s does not hold the sentences of its chunk of the source: translating it again", path)
        return None
    return [text for _, _, text in rows]


# --- gathering ------------------------------------------------------------------------------


def _read_shards(shard_paths: Sequence[str | Path], sentences: Sequence[str]) -> list[str]:
    """Translations of `sentences` (by position) from shard files that must tile them exactly."""
    translations: list[str | None] = [None] * len(sentences)
    for shard, path in enumerate(shard_paths):
        start, end = shard_bounds(len(sentences), shard, len(shard_paths))
        _, rows = read_table(path, SHARD_COLUMNS)
        if len(rows) != end - start:
            raise FormatError(f"{path}: {len(rows)} translations, expected {end - start} "
                              f"(unique sentences {start}..{end} of the source)")
        for number, (position, english, text) in enumerate(rows, start=2):
            if not position.isdigit() or not start <= int(position) < end:
                raise FormatError(f"{path}:{number}: position {position!r} outside this shard ({start}..{end})")
            if sentences[int(position)] != english or translations[int(position)] is not None:
                raise FormatError(f"{path}:{number}: source sentence does not match position {position} of the "
                                  "source (stale shard from another source or shard count?)")
            translations[int(position)] = text
    return translations  # every slot is filled: the counts and positions above tile the list


def verify_alignment(source: str | Path, translated: str | Path) -> int:
    """Check a translated file line by line against its source; return non-empty cells left empty.

    Same header, same number of rows, the same id on every line, and empty cells exactly
    where the source is empty (an empty source cell must stay empty).
    """
    english, target = read_examples(source), read_examples(translated)
    check_aligned(english, target, pivot_name=str(source), lang_name=str(translated))
    lost = 0
    for number, (e, t) in enumerate(zip(english, target), start=2):
        for column in EXAMPLE_COLUMNS[1:]:
            if not getattr(e, column) and getattr(t, column):
                raise FormatError(f"{translated}:{number}: {column} is empty in {source} but not here")
            lost += bool(getattr(e, column)) and not getattr(t, column)
    return lost


def gather_translations(source: str | Path, shard_paths: Sequence[str | Path], out_path: str | Path) -> Path:
    """Join shard translations back onto every row of `source`, verified line by line."""
    examples = read_examples(source)
    sentences = unique_sentences(examples)
    lookup = dict(zip(sentences, _read_shards(shard_paths, sentences)))
    with atomic_output(out_path) as tmp:
        write_examples(tmp, (Example(e.id, *(lookup[t] if t else "" for t in e[1:])) for e in examples))
        lost = verify_alignment(source, tmp)
    if lost:
        log.warning("%s: %d non-empty source texts have an empty translation", out_path, lost)
    log.info("gathered %d rows (%d unique sentences, %d shards) -> %s",
             len(examples), len(sentences), len(shard_paths), out_path)
    return Path(out_path)


# --- CLI ------------------------------------------------------------------------------------


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="command", required=True)

    c = sub.add_parser("convert", help=convert_nllb.__doc__.splitlines()[0])
    c.add_argument("--model", required=True, help="hub id or local Hugging Face directory")
    c.add_argument("--out", required=True)
    c.add_argument("--quantization", help="CTranslate2 weight type, e.g. float16, int8_float16")

    s = sub.add_parser("shard", help=translate_shard.__doc__.splitlines()[0])
    s.add_argument("--source", required=True)
    s.add_argument("--model", required=True, help="CTranslate2 directory from `convert`")
    s.add_argument("--lang", required=True, help="target language (ISO or NLLB code)")
    s.add_argument("--source-lang", default="en")
    s.add_argument("--shard", type=int, default=0)
    s.add_argument("--num-shards", type=int, default=1)
    s.add_argument("--beam-size", type=int, default=4)
    s.add_argument("--max-length", type=int, default=256, help="max generated tokens")
    s.add_argument("--max-input-tokens", type=int, default=256, help="longer inputs are truncated (and counted)")
    s.add_argument("--max-batch-tokens", type=int, default=4096)
    s.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    s.add_argument("--compute-type", default="default")
    s.add_argument("--threads", type=int, default=1)
    s.add_argument("--out", required=True)
    s.add_argument("--checkpoint-dir", help="translated chunks, outside the output (default: <out>.checkpoints)")

    g = sub.add_parser("gather", help=gather_translations.__doc__.splitlines()[0])
    g.add_argument("--source", required=True)
    g.add_argument("--shards", nargs="+", required=True, help="shard files in shard order")
    g.add_argument("--out", required=True)

    a = p.parse_args(argv)
    setup_logging()
    if a.command == "convert":
        convert_nllb(a.model, a.out, quantization=a.quantization)
    elif a.command == "shard":
        translate_shard(a.source, a.model, a.out, lang=a.lang, source_lang=a.source_lang, shard=a.shard,
                        num_shards=a.num_shards, beam_size=a.beam_size, max_length=a.max_length,
                        max_input_tokens=a.max_input_tokens, max_batch_tokens=a.max_batch_tokens,
                        device=a.device, compute_type=a.compute_type, threads=a.threads,
                        checkpoint_dir=a.checkpoint_dir)
    else:
        gather_translations(a.source, a.shards, a.out)


if __name__ == "__main__":
    main()
