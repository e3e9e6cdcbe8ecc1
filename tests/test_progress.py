"""Long loops log their rate and the time left."""

from __future__ import annotations

import re
import time

from modsent.progress import Progress, format_duration


def test_progress_gives_rate_and_time_left(monkeypatch):
    clock = iter([100.0, 110.0])
    monkeypatch.setattr(time, "monotonic", lambda: next(clock))
    progress = Progress(1000, "sentences", done=200)  # a resumed job: 200 done before this process
    assert progress.status(300) == "10.00 sentences/s, ETA 1m10s"
    assert (format_duration(3725), format_duration(200), format_duration(7)) == ("1h02m", "3m20s", "7s")


def test_an_embedding_job_logs_sentences_done_rate_and_eta(tiny_encoder, tmp_path, caplog):
    from modsent.evaluation.embeddings import embed_job
    from modsent.store import Results

    texts = tmp_path / "texts"
    texts.mkdir()
    (texts / "en.txt").write_text("the cat sits\na dog runs\nthe sun\n", encoding="utf-8")
    (texts / "de.txt").write_text("die katze\nein hund\n", encoding="utf-8")
    caplog.set_level("INFO", logger="modsent")
    langs = ["en", "de"]
    embed_job(Results().encoders(langs, ["base"]), {lang: texts / f"{lang}.txt" for lang in langs},
              {lang: tmp_path / "out" / lang for lang in langs}, base_model=str(tiny_encoder), device="cpu")
    lines = [r.getMessage() for r in caplog.records if "embeddings for base" in r.getMessage()]
    assert re.search(r"; 3/5 sentences, [\d.]+ sentences/s, ETA \S+$", lines[0]), lines
    assert re.search(r"; 5/5 sentences, [\d.]+ sentences/s, ETA 0s$", lines[1]), lines
