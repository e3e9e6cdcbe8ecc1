"""All-pair alignment (Table 3): allpair-pp trains on paraphrase pairs only and allpair-pl on
parallel pairs only, each against every language's frozen encoder; the workflow plans one
all-pair CLA per non-pivot language and kind, with the kind's own view and every partner's
parallel view."""

from __future__ import annotations

import re

import pytest

from modsent.align import AlignmentSettings, tasks_of, train_cla
from modsent.store import modules_needed
from modsent.variants import get_variant
from workflow_helpers import default_config, run_snakemake, write_config

EN = ["the cat sits on the mat", "a dog runs in the park", "the child reads a book", "a man plays the guitar",
      "a woman cooks dinner", "the sun is shining today"]
DE = ["die katze sitzt auf der matte", "ein hund läuft im park", "das kind liest ein buch", "ein mann spielt",
      "eine frau kocht", "die sonne scheint heute"]
FR = ["le chat est assis sur le tapis", "un chien court dans le parc", "l'enfant lit un livre", "un homme joue",
      "une femme cuisine", "le soleil brille"]
SMALL = AlignmentSettings(batch_size=2, learning_rate=1e-3, epochs=1, max_seq_length=32, warmup_ratio=0.0, seed=3)


def _encoder(path):
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(path), device="cpu")


@pytest.mark.parametrize("kind, task", [("allpair-pp", "paraphrase"), ("allpair-pl", "parallel")])
def test_allpair_pp_and_pl_train_one_view_against_every_language(tiny_encoder, kind, task):
    assert tasks_of(kind) == (task,)
    cross, parallel = list(zip(EN, DE[1:] + DE[:1])), list(zip(EN, DE))
    seen = []
    partner = _encoder(tiny_encoder)
    partner[0].register_forward_hook(lambda m, args, out: seen.append(len(out["input_ids"])))
    record = train_cla(_encoder(tiny_encoder), _encoder(tiny_encoder), kind=kind,
                       cross=cross if task == "paraphrase" else (), parallel=parallel if task == "parallel" else (),
                       partner_encoders={"fr": partner}, translations={"fr": dict(zip(EN, FR))}, settings=SMALL)
    assert record["kind"] == kind and record["partners"] == ["en", "fr"]
    assert record["pairs"] == {task: len(EN)}  # the other view is not used
    assert sum(seen) > 0  # some pairs have their other side in French


def test_english_centric_kinds_take_no_partner_translations(tiny_encoder):
    with pytest.raises(ValueError, match="only apply to the all-pair kinds"):
        train_cla(_encoder(tiny_encoder), _encoder(tiny_encoder), kind="pp", cross=list(zip(EN, DE)),
                  partner_encoders={"fr": _encoder(tiny_encoder)}, translations={"fr": dict(zip(EN, FR))},
                  settings=SMALL)


def test_all_pair_variants_use_their_own_cla_and_are_multilingual():
    for variant, kind in [("mod_mc_pp_allpair", "allpair-pp"), ("mod_mc_pl_allpair", "allpair-pl"),
                          ("mod_mc_jt_allpair", "allpair")]:
        assert get_variant(variant).multilingual
        assert modules_needed(variant, "de") == ["modules/de/tokenizer", "modules/de/la", "modules/de/se",
                                                 f"modules/de/cla-{kind}"]
        assert modules_needed(variant, "en") == modules_needed("mod_m", "en")


def test_the_workflow_plans_each_all_pair_kind_with_its_view_and_every_partner(tmp_path):
    datasets = default_config()["evaluation"]["datasets"]
    config = write_config(tmp_path, languages=["en", "de", "fr"], variants=["mod_mc_pp_allpair", "mod_mc_pl_allpair"],
                          evaluation={"batch_size": 64, "max_seq_length": 64, "datasets": {"stsb": datasets["stsb"]}})
    out = run_snakemake(tmp_path, config, "--dry-run", "--printshellcmds").stdout
    commands = {(m.group(1), m.group(2)): line for line in out.splitlines()
                if (m := re.search(r"modsent\.align --lang (\w+) --kind ([\w-]+)", line))}
    assert sorted(commands) == [("de", "allpair-pl"), ("de", "allpair-pp"), ("fr", "allpair-pl"), ("fr", "allpair-pp")]
    pp, pl = commands[("de", "allpair-pp")], commands[("de", "allpair-pl")]
    assert "--cross=results/train/de/cross.tsv" in pp and "--parallel=" not in pp
    assert "--parallel=results/train/de/parallel.tsv" in pl and "--cross=" not in pl
    for command in (pp, pl):
        assert "--partner-parallel=fr=results/train/fr/parallel.tsv" in command
        assert "--partner-parallel=de=" not in command
    assert "--out results/modules/de/cla-allpair-pp" in pp
