"""Language adaptation (LA): masked language modelling on a language's monolingual text.

Trainable: the language's new embedding matrix (FOCUS-initialised), LoRA on the
attention query/key/value of every layer, and an MLM head. LaBSE and mE5 checkpoints
ship no MLM head, so we initialise one: BERT's transform (dense, activation, LayerNorm)
and an output projection TIED to the new embeddings, as BERT and XLM-R were pretrained.
Tying keeps the FOCUS-initialised matrix as the output space from step 0 (an untied
50K x 768 decoder would start random and cost 38M more trainable parameters) and lets
every masked prediction train the embeddings directly. The body stays frozen.

Text: LA reads its own corpus, not the tokenizer's 10M lines (paper App. B.2: 200K steps
cover a small part of a high-resource language's data; a low-resource language's is used
whole). Given a monolingual spec (modsent.corpus), the sources are streamed straight into
the token file until it holds one epoch of the run's sequences (steps x batch) or the
sources, up to the spec's line cap, end; the log and record.json say how many epochs
over that corpus the run makes.

Speed (the costliest stage): texts are tokenised once into a flat token file, cut into
fixed chunks of seq_len (no padding, no attention mask, so SDPA runs its fastest
kernels); masking is vectorised on the device with a fixed number of masked positions
per chunk; the vocabulary projection is computed only at those positions; bf16
autocast and fused AdamW on CUDA; torch.compile behind `compile`.

Resumable (modsent.checkpoint): every `checkpoint_every` steps (and on SIGTERM, which
Slurm sends at a time limit) the trainable tensors, optimizer, scheduler, RNG states and
step are written atomically to the checkpoint directory; starting the job again resumes
from there and ends where an uninterrupted run ends. Batches are a function of the step (a seeded
permutation of the chunks per epoch), so no data-loader state is needed.

Module store (`out_dir`): embeddings.safetensors {"weight"}, lora.safetensors +
lora_config.json (modsent/modules/lora.py, names relative to the bare encoder), mlm_head.safetensors,
config.json (what loading needs) and record.json (the run: modsent/modules/files.py).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import time
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from safetensors.torch import load_file, save_file
from torch import nn

from modsent.checkpoint import (  # noqa: F401  (TERMINATED_EXIT_CODE, TrainingInterrupted: for callers)
    CHECKPOINT_EVERY, TERMINATED_EXIT_CODE, CheckpointDir, TrainingCheckpoints, TrainingInterrupted,
    default_checkpoint_dir, fingerprint, path_stamp, stop_on_termination,
)
from modsent.corpus import monolingual_lines, text_sources
from modsent.modules.files import MODULE_CONFIG, TRAINING_RECORD, write_json
from modsent.modules.language import load_base_encoder, set_word_embeddings
from modsent.modules.lora import ATTENTION_QKV, LoraConfig, add_lora, save_lora
from modsent.progress import Progress
from modsent.training import Settings, linear_warmup_schedule, parse_training_arguments
from modsent.tokenizer import check_corpus, nonblank_lines
from modsent.utils import atomic_output, pick_device, seed_everything

log = logging.getLogger("modsent.adapt")


@dataclass(frozen=True)
class AdaptationConfig(Settings):
    """LA hyperparameters (config section `language_adaptation`; paper: 200K steps, batch 128)."""

    steps: int = 200_000
    batch_size: int = 128
    seq_len: int = 256
    learning_rate: float = 5e-5
    warmup_steps: int = 0
    weight_decay: float = 0.0
    mlm_probability: float = 0.15
    lora: LoraConfig = field(default_factory=LoraConfig)
    checkpoint_every: int = CHECKPOINT_EVERY
    log_every: int = 100
    compile: bool = False
    seed: int = 42

    stage = "LA"

    @classmethod
    def from_dict(cls, values):
        """The config section's shape: the LoRA shape under `lora` (on q, k, v)."""
        values = dict(values)
        if isinstance(values.get("lora"), dict):
            values["lora"] = LoraConfig(**values["lora"], targets=ATTENTION_QKV)
        return super().from_dict(values)

    def result_settings(self) -> dict:
        """The settings that change the trained weights (not how often we log or save)."""
        settings = asdict(self)
        for name in ("checkpoint_every", "log_every", "compile"):
            settings.pop(name)
        settings["lora"]["targets"] = list(settings["lora"]["targets"])
        return settings


# ---------------------------------------------------------------------------------------
# Model


class MaskedLMHead(nn.Module):
    """BERT's MLM head: dense -> activation -> LayerNorm -> projection onto the tied embeddings + bias."""

    def __init__(self, hidden_size: int, vocab_size: int, hidden_act: str = "gelu",
                 layer_norm_eps: float = 1e-12, initializer_range: float = 0.02):
        from transformers.activations import ACT2FN

        super().__init__()
        self.dense = nn.Linear(hidden_size, hidden_size)
        self.activation = ACT2FN[hidden_act]
        self.layer_norm = nn.LayerNorm(hidden_size, eps=layer_norm_eps)
        self.bias = nn.Parameter(torch.zeros(vocab_size))
        nn.init.normal_(self.dense.weight, std=initializer_range)
        nn.init.zeros_(self.dense.bias)

    def forward(self, hidden: torch.Tensor, embedding_weight: torch.Tensor) -> torch.Tensor:
        return F.linear(self.layer_norm(self.activation(self.dense(hidden))), embedding_weight, self.bias)


class MaskedLanguageModel(nn.Module):
    """A bare encoder (BertModel / XLMRobertaModel) with the language's embeddings, LoRA(q,k,v)
    and a tied MLM head; only those are trainable. `forward` returns the MLM loss."""

    def __init__(self, encoder: nn.Module, embeddings: torch.Tensor, pad_token_id: int, lora: LoraConfig):
        super().__init__()
        for parameter in encoder.parameters():
            parameter.requires_grad_(False)
        set_word_embeddings(encoder, embeddings, pad_token_id)
        add_lora(encoder, lora)
        config = encoder.config
        self.encoder = encoder
        self.head = MaskedLMHead(config.hidden_size, embeddings.shape[0], config.hidden_act,
                                 config.layer_norm_eps, config.initializer_range)

    def trainable_parameters(self) -> list[nn.Parameter]:
        return [p for p in self.parameters() if p.requires_grad]

    def forward(self, input_ids: torch.Tensor, positions: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        # embeddings + encoder without the pooler and without an attention mask (chunks are full)
        hidden = self.encoder.encoder(self.encoder.embeddings(input_ids=input_ids))[0]
        picked = hidden.gather(1, positions.unsqueeze(-1).expand(-1, -1, hidden.shape[-1]))
        logits = self.head(picked.flatten(0, 1), self.encoder.get_input_embeddings().weight)
        return F.cross_entropy(logits.float(), labels.flatten())


def mask_tokens(input_ids: torch.Tensor, special_ids: torch.Tensor, *, count: int, mask_id: int,
                vocab_size: int, generator: torch.Generator):
    """BERT masking with a fixed count per row (static shapes, no host sync): pick `count`
    random non-special positions per row; 80% become [MASK], 10% a random token, 10% stay.

    Returns (masked ids, positions [rows, count], labels [rows, count]), on the input's device.
    """
    rows, length = input_ids.shape
    scores = torch.rand(rows, length, device=input_ids.device, generator=generator)
    scores.masked_fill_(torch.isin(input_ids, special_ids), -1.0)
    positions = scores.topk(count, dim=1).indices
    labels = input_ids.gather(1, positions)
    choice = torch.rand(rows, count, device=input_ids.device, generator=generator)
    random_tokens = torch.randint(vocab_size, (rows, count), device=input_ids.device, generator=generator)
    replaced = torch.where(choice < 0.8, torch.full_like(labels, mask_id),
                           torch.where(choice < 0.9, random_tokens, labels))
    return input_ids.scatter(1, positions, replaced), positions, labels


# ---------------------------------------------------------------------------------------
# Data: one flat token file, cut into chunks


@dataclass(frozen=True)
class ChunkFormat:
    """How a chunk is framed: the tokenizer's prefix/suffix specials (BERT: [CLS] ... [SEP])."""

    prefix: tuple[int, ...]
    suffix: tuple[int, ...]
    mask_id: int
    pad_id: int
    special_ids: tuple[int, ...]

    @classmethod
    def of(cls, tokenizer) -> "ChunkFormat":
        if tokenizer.mask_token_id is None or tokenizer.pad_token_id is None:
            raise ValueError(f"{type(tokenizer).__name__} has no mask or pad token: it cannot be used for MLM")
        probe_with = tokenizer("a", add_special_tokens=True)["input_ids"]
        probe = tokenizer("a", add_special_tokens=False)["input_ids"]
        start = next(i for i in range(len(probe_with)) if probe_with[i:i + len(probe)] == probe)
        return cls(tuple(probe_with[:start]), tuple(probe_with[start + len(probe):]), tokenizer.mask_token_id,
                   tokenizer.pad_token_id, tuple(sorted(set(tokenizer.all_special_ids))))


def _file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while block := f.read(1 << 24):
            digest.update(block)
    return digest.hexdigest()


def _corpus_stamp(corpus: Path) -> dict:
    stat = corpus.stat()
    return {"path": str(corpus.resolve()), "bytes": stat.st_size, "mtime_ns": stat.st_mtime_ns}


def _corpus_lines(corpus: Path | dict) -> Iterator[str]:
    """A text file's non-blank lines, or a monolingual spec's sources streamed up to its line cap."""
    if isinstance(corpus, dict):
        return monolingual_lines(corpus["sources"], corpus.get("max_sentences"))
    return nonblank_lines(corpus, 2**63 - 1)


def _corpus_identity(corpus: Path | dict) -> object:
    """What identifies the text: a file's stamp, or a spec with the stamps of its local files."""
    if isinstance(corpus, dict):
        return {"spec": corpus, "files": [path_stamp(s.path) for s in text_sources(corpus["sources"])
                                          if s.format == "text"]}
    return _corpus_stamp(corpus)


def tokenize_corpus(tokenizer, lines: Iterable[str], out_dir: Path, fingerprint: str, separator: tuple[int, ...],
                    max_tokens: int | None = None) -> tuple[np.ndarray, dict]:
    """The text as one flat token array (lines joined by `separator`), cached in `out_dir`,
    and its metadata (tokens "count", "lines" read, "complete": whether every line was read).

    Lines stop at the one that brings the count to `max_tokens`, so a stream larger than
    the run needs is neither read to its end nor stored.
    """
    meta_path, data_path = out_dir / "tokens.json", out_dir / "tokens.bin"
    if meta_path.is_file():
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        if meta["fingerprint"] == fingerprint:
            return np.memmap(data_path, dtype=meta["dtype"], mode="r", shape=(meta["count"],)), meta
    dtype = np.uint16 if len(tokenizer) <= np.iinfo(np.uint16).max else np.int32
    out_dir.mkdir(parents=True, exist_ok=True)
    count, read, lines, complete = 0, 0, iter(lines), True
    with atomic_output(data_path) as tmp, tmp.open("wb") as out:
        while batch := [line for _, line in zip(range(10_000), lines)]:
            ids = tokenizer(batch, add_special_tokens=False)["input_ids"]
            if max_tokens is not None:  # keep the lines up to the one that reaches max_tokens
                ends = count + np.cumsum([len(seq) + len(separator) for seq in ids])
                keep = int(np.searchsorted(ends, max_tokens)) + 1
                if keep < len(ids) or ends[-1] >= max_tokens:
                    ids = ids[:keep]
                    complete = keep == len(batch) and next(lines, None) is None
            flat = np.fromiter((t for seq in ids for t in (*seq, *separator)), dtype=dtype)
            flat.tofile(out)
            count += len(flat)
            read += len(ids)
            if not complete:
                break
    meta = {"fingerprint": fingerprint, "dtype": np.dtype(dtype).name, "count": count, "lines": read,
            "complete": complete}
    with atomic_output(meta_path) as tmp:
        tmp.write_text(json.dumps(meta), encoding="utf-8")
    log.info("tokenised %d lines: %d tokens", read, count)
    return np.memmap(data_path, dtype=dtype, mode="r", shape=(count,)), meta


class ChunkBatches:
    """Batch `step` = rows of a per-epoch seeded permutation of fixed-length chunks."""

    def __init__(self, tokens: np.ndarray, chunk_format: ChunkFormat, seq_len: int, batch_size: int, seed: int):
        content = seq_len - len(chunk_format.prefix) - len(chunk_format.suffix)
        self.chunks = tokens[: len(tokens) // content * content].reshape(-1, content)
        self.prefix = torch.tensor(chunk_format.prefix, dtype=torch.long)
        self.suffix = torch.tensor(chunk_format.suffix, dtype=torch.long)
        self.batch_size, self.seed = batch_size, seed
        self._permutations: dict[int, np.ndarray] = {}

    def __len__(self) -> int:
        return len(self.chunks)

    def _permutation(self, epoch: int) -> np.ndarray:
        if epoch not in self._permutations:
            self._permutations = {epoch: np.random.default_rng([self.seed, epoch]).permutation(len(self))}
        return self._permutations[epoch]

    def batch(self, step: int) -> torch.Tensor:
        """[batch_size, seq_len] token ids of step `step` (CPU)."""
        positions = np.arange(step * self.batch_size, (step + 1) * self.batch_size)
        epochs = positions // len(self)
        rows = np.empty(len(positions), dtype=np.int64)
        for epoch in np.unique(epochs):
            in_epoch = epochs == epoch
            rows[in_epoch] = self._permutation(int(epoch))[positions[in_epoch] % len(self)]
        body = torch.from_numpy(self.chunks[rows].astype(np.int64))
        return torch.cat([self.prefix.expand(len(rows), -1), body, self.suffix.expand(len(rows), -1)], dim=1)


# ---------------------------------------------------------------------------------------
# Training


class AdaptationTrainer:
    """One optimisation step of LA on a device; the benchmark times exactly this."""

    def __init__(self, model: MaskedLanguageModel, chunk_format: ChunkFormat, config: AdaptationConfig, device: str):
        self.model = model.to(device).train()
        self.config, self.device = config, device
        self.special_ids = torch.tensor(chunk_format.special_ids, device=device)
        self.mask_id = chunk_format.mask_id
        text_length = config.seq_len - len(chunk_format.prefix) - len(chunk_format.suffix)
        self.masked_per_row = max(1, round(config.mlm_probability * text_length))
        self.vocab_size = model.head.bias.shape[0]
        self.generator = torch.Generator(device=device).manual_seed(config.seed)
        cuda = device.startswith("cuda")
        self.optimizer = torch.optim.AdamW(model.trainable_parameters(), lr=config.learning_rate,
                                           weight_decay=config.weight_decay, fused=cuda or None)
        self.scheduler = linear_warmup_schedule(self.optimizer, config.warmup_steps, config.steps)
        self.autocast = torch.autocast("cuda", dtype=torch.bfloat16, enabled=cuda)
        self.loss_fn = torch.compile(self.model) if config.compile else self.model

    def step(self, input_ids: torch.Tensor) -> torch.Tensor:
        """One optimisation step on a [batch, seq_len] CPU batch; returns the loss (on the device, no sync)."""
        if self.device.startswith("cuda"):
            input_ids = input_ids.pin_memory()  # asynchronous copy: the CPU goes on to the next batch
        input_ids = input_ids.to(self.device, non_blocking=True)
        masked, positions, labels = mask_tokens(
            input_ids, self.special_ids, count=self.masked_per_row, mask_id=self.mask_id,
            vocab_size=self.vocab_size, generator=self.generator)
        with self.autocast:
            loss = self.loss_fn(masked, positions, labels)
        loss.backward()
        self.optimizer.step()
        self.scheduler.step()
        self.optimizer.zero_grad(set_to_none=True)
        return loss.detach()


def _load_inputs(tokenizer_dir: Path, embeddings_path: Path, corpus: Path | dict):
    """Read and check the small inputs, before the base model or any training."""
    from transformers import AutoTokenizer

    if isinstance(corpus, dict):
        text_sources(corpus["sources"])
    else:
        check_corpus(corpus)
    if not tokenizer_dir.is_dir():
        raise FileNotFoundError(f"tokenizer directory not found: {tokenizer_dir}")
    if not embeddings_path.is_file():
        raise FileNotFoundError(f"embeddings file not found: {embeddings_path}")
    tokenizer = AutoTokenizer.from_pretrained(str(tokenizer_dir))
    embeddings = load_file(str(embeddings_path))
    if "weight" not in embeddings:
        raise ValueError(f"{embeddings_path}: no 'weight' tensor (keys: {sorted(embeddings)})")
    weight = embeddings["weight"].float()
    if weight.shape[0] != len(tokenizer):
        raise ValueError(f"{embeddings_path} has {weight.shape[0]} rows, the tokenizer {tokenizer_dir} {len(tokenizer)} tokens")
    return tokenizer, weight


def train_language_adapter(
    base_model: str | Path,
    tokenizer_dir: str | Path,
    embeddings_path: str | Path,
    corpus: str | Path | dict,
    out_dir: str | Path,
    *,
    config: AdaptationConfig = AdaptationConfig(),
    checkpoint_dir: str | Path | None = None,
    device: str = "auto",
) -> Path:
    """Train the language's embeddings, LA LoRA and MLM head by MLM on `corpus`; write the LA module.

    `corpus` is a text file or a monolingual spec {"sources": [...], "max_sentences": N or
    None} (modsent.corpus), streamed; either is read until it holds steps x batch sequences.
    Checkpoints (and the tokenised corpus) live in `checkpoint_dir` (default: a sibling
    "<out_dir>.checkpoints"); a later call with the same inputs resumes there. The
    directory is removed after the module is written. Raises TrainingInterrupted after
    writing a checkpoint when SIGTERM arrives.
    """
    tokenizer_dir, embeddings_path, out_dir = map(Path, (tokenizer_dir, embeddings_path, out_dir))
    corpus = dict(corpus) if isinstance(corpus, dict) else Path(corpus)
    tokenizer, weight = _load_inputs(tokenizer_dir, embeddings_path, corpus)
    chunk_format = ChunkFormat.of(tokenizer)
    if config.seq_len <= len(chunk_format.prefix) + len(chunk_format.suffix) + 1:
        raise ValueError(f"seq_len {config.seq_len} leaves no room for text between the special tokens")
    directory = CheckpointDir(checkpoint_dir or default_checkpoint_dir(out_dir), fingerprint(
        config.result_settings(),
        {"base_model": base_model, "corpus": json.dumps(_corpus_identity(corpus), sort_keys=True, default=str),
         "tokenizer": tokenizer_dir, "embeddings": embeddings_path}), output=out_dir)
    checkpoint_dir = directory.root

    content = config.seq_len - len(chunk_format.prefix) - len(chunk_format.suffix)
    budget = config.steps * config.batch_size * content  # one epoch of the run: more would never be read
    tokenizer_digest = _file_digest(tokenizer_dir / "tokenizer.json")
    tokens, token_meta = tokenize_corpus(
        tokenizer, _corpus_lines(corpus), checkpoint_dir / "data",
        hashlib.sha256(json.dumps([_corpus_identity(corpus), tokenizer_digest, budget], default=str).encode()
                       ).hexdigest(),
        chunk_format.suffix, max_tokens=budget)
    batches = ChunkBatches(tokens, chunk_format, config.seq_len, config.batch_size, config.seed)
    if len(batches) == 0:
        raise ValueError(f"{corpus} holds {len(tokens)} tokens: too few for one sequence of {config.seq_len} tokens")
    corpus_record = {"lines": token_meta["lines"], "tokens": len(tokens), "chunks": len(batches),
                     "epochs": round(config.steps * config.batch_size / len(batches), 3),
                     "complete": token_meta["complete"]}
    log.info("LA corpus: %d lines, %d tokens -> %d chunks of %d tokens; %d steps x %d = %.2f epochs over it (%s)",
             corpus_record["lines"], len(tokens), len(batches), config.seq_len, config.steps, config.batch_size,
             corpus_record["epochs"], "all the text given" if token_meta["complete"]
             else "reading stopped at the sequences the steps use")

    seed_everything(config.seed)
    device = pick_device(device)
    encoder = load_base_encoder(base_model)
    model = MaskedLanguageModel(encoder, weight, chunk_format.pad_id, config.lora)
    trainer = AdaptationTrainer(model, chunk_format, config, device)
    checkpoints = TrainingCheckpoints(directory, {n: p for n, p in model.named_parameters() if p.requires_grad},
                                      trainer.optimizer, trainer.scheduler, every=config.checkpoint_every,
                                      total_steps=config.steps, generators={"mask": trainer.generator})
    resumed = checkpoints.restore() or {}
    first_step = resumed.get("step", 0)
    progress = {"seconds": resumed.get("seconds", 0.0), "tokens_seen": resumed.get("tokens_seen", 0)}
    log.info("LA on %s: %d trainable parameters, %s", device,
             sum(p.numel() for p in model.trainable_parameters()), config)

    tokens_per_step = config.batch_size * config.seq_len
    rate = Progress(config.steps, done=first_step)
    with checkpoints:
        started = interval_start = time.time()
        loss_sum, interval_steps = torch.zeros((), device=device), 0
        for step in range(first_step, config.steps):
            loss_sum += trainer.step(batches.batch(step))
            interval_steps += 1
            done = step + 1
            if done % config.log_every == 0 or done == config.steps:
                now = time.time()
                log.info("step %d/%d loss %.4f lr %.2e %.0f tokens/s, %s", done, config.steps,
                         loss_sum.item() / interval_steps, trainer.scheduler.get_last_lr()[0],
                         interval_steps * tokens_per_step / (now - interval_start), rate.status(done))
                loss_sum.zero_()
                interval_steps, interval_start = 0, now
            checkpoints.after_step(done, lambda: dict(
                seconds=progress["seconds"] + time.time() - started,
                tokens_seen=progress["tokens_seen"] + (done - first_step) * tokens_per_step))
        seconds = progress["seconds"] + time.time() - started
        tokens_seen = progress["tokens_seen"] + (config.steps - first_step) * tokens_per_step

    with atomic_output(out_dir) as tmp:
        tmp.mkdir()
        save_file({"weight": model.encoder.get_input_embeddings().weight.detach().float().cpu().contiguous()},
                  str(tmp / "embeddings.safetensors"))
        save_lora(model.encoder, config.lora, tmp)
        save_file({k: v.detach().float().cpu().contiguous() for k, v in model.head.state_dict().items()},
                  str(tmp / "mlm_head.safetensors"))
        write_json(tmp / MODULE_CONFIG, {
            "base_model": str(base_model), "vocab_size": int(weight.shape[0]), "hidden_size": int(weight.shape[1]),
            "pad_token_id": chunk_format.pad_id, "mlm_head": "transform + bias; output projection tied to embeddings"})
        write_json(tmp / TRAINING_RECORD, {
            "steps": config.steps, "seconds": round(seconds, 3), "tokens_seen": tokens_seen, "corpus": corpus_record,
            "device": device, "settings": config.result_settings()})
    directory.remove()
    log.info("LA module written to %s (%.0f s of training)", out_dir, seconds)
    return out_dir


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=train_language_adapter.__doc__)
    p.add_argument("--base-model", required=True, help="sentence-transformers hub id or local directory")
    p.add_argument("--tokenizer", required=True, help="the language's tokenizer directory")
    p.add_argument("--embeddings", required=True, help="FOCUS embeddings.safetensors")
    text = p.add_mutually_exclusive_group(required=True)
    text.add_argument("--corpus", help="a text file, one sentence a line")
    text.add_argument("--corpus-spec", type=json.loads,
                      help='JSON monolingual spec {"sources": [...], "max_sentences": N or null}, streamed')
    p.add_argument("--out", required=True)
    p.add_argument("--threads", type=int, help="CPU threads of torch (the job's share of the machine)")
    a, config = parse_training_arguments(p, argv, AdaptationConfig)
    if a.threads:
        torch.set_num_threads(a.threads)
    with stop_on_termination():
        train_language_adapter(a.base_model, a.tokenizer, a.embeddings, a.corpus or a.corpus_spec, a.out,
                               config=config, checkpoint_dir=a.checkpoint_dir, device=a.device)


if __name__ == "__main__":
    main()
