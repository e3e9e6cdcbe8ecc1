"""Write the tiny synthetic data shipped in modsent/resources/tiny (run once, output committed).

Sentences come from a small compositional grammar with a hand-written English, German
and French lexicon: subject x verb x object x place. Every sentence exists in all three
languages, so the data are truly multi-parallel, and the gold similarity of two sentences
is derived from how many of the four slots they share. The files use the raw formats of the
published sets (see modsent/evaldata/), so the same readers parse real and tiny data.

    python tools/make_tiny_data.py [--out modsent/resources/tiny]
"""

from __future__ import annotations

import argparse
import csv
import json
import random
from dataclasses import dataclass
from pathlib import Path

LANGS = ("en", "de", "fr")
NLLB = {"en": "eng_Latn", "de": "deu_Latn", "fr": "fra_Latn"}
ISO3 = {"en": "eng", "de": "deu", "fr": "fra"}

# Noun phrases are stored whole per language (German case and gender, French elision).
SUBJECTS = [
    {"en": "the man", "de": "der Mann", "fr": "l'homme"},
    {"en": "the woman", "de": "die Frau", "fr": "la femme"},
    {"en": "the child", "de": "das Kind", "fr": "l'enfant"},
    {"en": "the teacher", "de": "der Lehrer", "fr": "le professeur"},
    {"en": "the doctor", "de": "die Ärztin", "fr": "la médecin"},
    {"en": "the farmer", "de": "der Bauer", "fr": "le fermier"},
    {"en": "the girl", "de": "das Mädchen", "fr": "la fille"},
    {"en": "the old neighbour", "de": "der alte Nachbar", "fr": "le vieux voisin"},
]
# en: third person singular, en_base: after "does"; de and fr: third person singular.
VERBS = [
    {"en": "buys", "en_base": "buy", "de": "kauft", "fr": "achète"},
    {"en": "carries", "en_base": "carry", "de": "trägt", "fr": "porte"},
    {"en": "finds", "en_base": "find", "de": "findet", "fr": "trouve"},
    {"en": "sells", "en_base": "sell", "de": "verkauft", "fr": "vend"},
    {"en": "cleans", "en_base": "clean", "de": "putzt", "fr": "nettoie"},
    {"en": "watches", "en_base": "watch", "de": "betrachtet", "fr": "regarde"},
    {"en": "paints", "en_base": "paint", "de": "malt", "fr": "peint"},
    {"en": "repairs", "en_base": "repair", "de": "repariert", "fr": "répare"},
]
OBJECTS = [  # German accusative
    {"en": "the ball", "de": "den Ball", "fr": "le ballon"},
    {"en": "the newspaper", "de": "die Zeitung", "fr": "le journal"},
    {"en": "the book", "de": "das Buch", "fr": "le livre"},
    {"en": "the bicycle", "de": "das Fahrrad", "fr": "le vélo"},
    {"en": "the basket", "de": "den Korb", "fr": "le panier"},
    {"en": "the lamp", "de": "die Lampe", "fr": "la lampe"},
    {"en": "the chair", "de": "den Stuhl", "fr": "la chaise"},
    {"en": "the red umbrella", "de": "den roten Schirm", "fr": "le parapluie rouge"},
]
# The place decides the SIB-style topic label.
PLACES = [
    {"en": "in the park", "de": "im Park", "fr": "dans le parc", "topic": "nature"},
    {"en": "on the beach", "de": "am Strand", "fr": "sur la plage", "topic": "nature"},
    {"en": "in the forest", "de": "im Wald", "fr": "dans la forêt", "topic": "nature"},
    {"en": "in the kitchen", "de": "in der Küche", "fr": "dans la cuisine", "topic": "home"},
    {"en": "in the garden", "de": "im Garten", "fr": "dans le jardin", "topic": "home"},
    {"en": "in the living room", "de": "im Wohnzimmer", "fr": "dans le salon", "topic": "home"},
    {"en": "at the market", "de": "auf dem Markt", "fr": "au marché", "topic": "town"},
    {"en": "at the station", "de": "am Bahnhof", "fr": "à la gare", "topic": "town"},
    {"en": "in the city centre", "de": "in der Innenstadt", "fr": "au centre-ville", "topic": "town"},
]
TOPICS = ["nature", "home", "town"]
SLOTS = (SUBJECTS, VERBS, OBJECTS, PLACES)


def _cap(text: str) -> str:
    return text[0].upper() + text[1:]


@dataclass(frozen=True)
class Meaning:
    """One sentence meaning: an index into each slot's lexicon."""

    subject: int
    verb: int
    obj: int
    place: int

    @property
    def slots(self) -> tuple[int, int, int, int]:
        return (self.subject, self.verb, self.obj, self.place)

    @property
    def topic(self) -> str:
        return PLACES[self.place]["topic"]

    def shared(self, other: Meaning) -> int:
        return sum(a == b for a, b in zip(self.slots, other.slots))

    def _words(self, lang: str) -> tuple[str, str, str, str]:
        return (SUBJECTS[self.subject][lang], VERBS[self.verb][lang],
                OBJECTS[self.obj][lang], PLACES[self.place][lang])

    def sentence(self, lang: str) -> str:
        s, v, o, p = self._words(lang)
        return _cap(f"{s} {v} {o} {p}.")

    def fronted(self, lang: str) -> str:
        """The same meaning with the place first (a paraphrase)."""
        s, v, o, p = self._words(lang)
        if lang == "de":  # verb second
            return _cap(f"{p} {v} {s} {o}.")
        return _cap(f"{p}, {s} {v} {o}.")

    def negated(self, lang: str) -> str:
        s, v, o, p = self._words(lang)
        if lang == "en":
            return _cap(f"{s} does not {VERBS[self.verb]['en_base']} {o} {p}.")
        if lang == "de":
            return _cap(f"{s} {v} {o} {p} nicht.")
        ne = "n'" if v[0] in "aeéiou" else "ne "
        return _cap(f"{s} {ne}{v} pas {o} {p}.")

    def question(self, lang: str) -> str:
        """Asks for the object."""
        s, v, _, p = self._words(lang)
        if lang == "en":
            return f"What does {s} {VERBS[self.verb]['en_base']} {p}?"
        if lang == "de":
            return f"Was {v} {s} {p}?"
        return f"Qu'est-ce que {s} {v} {p} ?"

    def object_phrase(self, lang: str) -> str:
        return OBJECTS[self.obj][lang]


def random_meaning(rng: random.Random) -> Meaning:
    return Meaning(*(rng.randrange(len(slot)) for slot in SLOTS))


def distinct_meanings(rng: random.Random, n: int, exclude: set[Meaning] = frozenset()) -> list[Meaning]:
    seen = set(exclude)
    out = []
    while len(out) < n:
        m = random_meaning(rng)
        if m not in seen:
            seen.add(m)
            out.append(m)
    return out


def vary(rng: random.Random, m: Meaning, changes: int) -> Meaning:
    """`m` with exactly `changes` slots replaced by a different value."""
    slots = list(m.slots)
    for i in rng.sample(range(4), changes):
        slots[i] = rng.choice([k for k in range(len(SLOTS[i])) if k != slots[i]])
    return Meaning(*slots)


def second_text(a: Meaning, b: Meaning, lang: str) -> str:
    """b's sentence; a paraphrase when b means the same as a, so no pair is two equal strings."""
    return b.fronted(lang) if a == b else b.sentence(lang)


def sts_pairs(rng: random.Random, n: int) -> list[tuple[Meaning, Meaning, int]]:
    """(a, b, shared slots), the number of changed slots spread evenly over 0..4."""
    pairs = []
    for i in range(n):
        a = random_meaning(rng)
        b = vary(rng, a, i % 5)
        pairs.append((a, b, a.shared(b)))
    rng.shuffle(pairs)
    return pairs


def write_lines(path: Path, lines: list[str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")


def write_csv(path: Path, rows: list[list], delimiter: str = ",", header: list[str] | None = None) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, delimiter=delimiter, lineterminator="\n")
        if header:
            writer.writerow(header)
        writer.writerows(rows)


def _tsv_plain(path: Path, rows: list[list], header: list[str] | None = None) -> None:
    """Tab-separated without any quoting (the STS17, SICK and XNLI files are written so)."""
    lines = ["\t".join(header)] if header else []
    lines += ["\t".join(str(c) for c in row) for row in rows]
    write_lines(path, lines)


def make_sts17(out: Path, rng: random.Random) -> None:
    """track5 en-en (input with a score column + gold file) and the extended de-en / fr-en
    files, row-parallel to en-en: de-en has English in column 1, fr-en French in column 1."""
    pairs = sts_pairs(rng, 60)
    score = [f"{5 * k / 4:.6f}" for _, _, k in pairs]
    d = out / "eval" / "sts17"
    _tsv_plain(d / "STS.input.track5.en-en.txt", [[a.sentence("en"), second_text(a, b, "en"), s] for (a, b, _), s in zip(pairs, score)])
    write_lines(d / "STS.gs.track5.en-en.txt", score)
    _tsv_plain(d / "STS.input.extended.de-en.txt", [[a.sentence("en"), second_text(a, b, "de"), s] for (a, b, _), s in zip(pairs, score)])
    _tsv_plain(d / "STS.input.extended.fr-en.txt", [[a.sentence("fr"), second_text(a, b, "en"), s] for (a, b, _), s in zip(pairs, score)])


def make_stsb(out: Path, rng: random.Random) -> None:
    for split, n in (("test", 80), ("dev", 40)):
        pairs = sts_pairs(rng, n)
        for lang in LANGS:
            rows = [[a.sentence(lang), second_text(a, b, lang), 5 * k / 4] for a, b, k in pairs]
            write_csv(out / "eval" / "stsb_multi_mt" / f"stsb-{lang}-{split}.csv", rows)


SICK_12_COLUMNS = ["pair_ID", "sentence_A", "sentence_B", "entailment_label", "relatedness_score",
                   "entailment_AB", "entailment_BA", "sentence_A_original", "sentence_B_original",
                   "sentence_A_dataset", "sentence_B_dataset", "SemEval_set"]


def make_sick(out: Path, rng: random.Random) -> None:
    """en and fr in the 12-column SICK.txt layout, de in the 5-column one, all row-parallel by pair_ID."""
    next_id = 1
    for split, n, file_part, semeval in (("test", 80, "test", "TEST"), ("dev", 40, "trial", "TRIAL")):
        pairs = sts_pairs(rng, n)
        ids = list(range(next_id, next_id + n))
        next_id += n
        for lang in LANGS:
            rows = []
            for pair_id, (a, b, k) in zip(ids, pairs):
                label = "ENTAILMENT" if k == 4 else "NEUTRAL"
                score = f"{1 + k:.1f}"
                s1, s2 = a.sentence(lang), second_text(a, b, lang)
                if lang == "de":
                    rows.append([pair_id, s1, s2, score, label])
                else:
                    ab = "A_entails_B" if k == 4 else "A_neutral_B"
                    ba = "B_entails_A" if k == 4 else "B_neutral_A"
                    rows.append([pair_id, s1, s2, label, score, ab, ba,
                                 a.sentence("en"), second_text(a, b, "en"), "TINY", "TINY", semeval])
            header = (["pair_ID", "sentence_A", "sentence_B", "relatedness_score", "entailment_judgment"]
                      if lang == "de" else SICK_12_COLUMNS)
            _tsv_plain(out / "eval" / "sick" / lang / f"SICK_{file_part}.txt", rows, header)


def make_str(out: Path, rng: random.Random) -> None:
    """Monolingual, not parallel; French wraps every sentence in literal quotes, as the
    real Marathi and Telugu files do."""
    for lang in LANGS:
        for split, n in (("test", 60), ("dev", 30)):
            rows = []
            for i, (a, b, k) in enumerate(sts_pairs(rng, n)):
                s1, s2 = a.sentence(lang), second_text(a, b, lang)
                if lang == "fr":
                    s1, s2 = f'"{s1}"', f'"{s2}"'
                rows.append([f"{ISO3[lang].upper()}-{split}-{i:04d}", f"{s1}\n{s2}", f"{k / 4:.2f}"])
            write_csv(out / "eval" / "str2024" / f"{ISO3[lang]}_{split}_with_labels.csv", rows,
                      header=["PairID", "Text", "Score"])


def make_sib(out: Path, rng: random.Random) -> None:
    """Parallel across languages (same index_id, same category), like SIB-200 built on FLORES."""
    meanings = distinct_meanings(rng, 200)
    splits = {"train": meanings[:140], "dev": meanings[140:160], "test": meanings[160:]}
    for lang in LANGS:
        d = out / "eval" / "sib200" / NLLB[lang]
        write_lines(d / "labels.txt", TOPICS)
        index = 0
        for split, ms in splits.items():
            rows = []
            for m in ms:
                rows.append([index, m.topic, m.sentence(lang)])
                index += 1
            write_csv(d / f"{split}.tsv", rows, delimiter="\t", header=["index_id", "category", "text"])


def make_flores(out: Path, rng: random.Random) -> list[Meaning]:
    meanings = distinct_meanings(rng, 180)
    for lang in LANGS:
        d = out / "eval" / "flores200"
        write_lines(d / f"{NLLB[lang]}.devtest", [m.sentence(lang) for m in meanings[:120]])
        write_lines(d / f"{NLLB[lang]}.dev", [m.sentence(lang) for m in meanings[120:]])
    return meanings


def make_tatoeba(out: Path, rng: random.Random) -> None:
    for lang in ("de", "fr"):
        ms = distinct_meanings(rng, 100)
        stem = out / "eval" / "tatoeba" / f"tatoeba.{ISO3[lang]}-eng"
        write_lines(stem.with_name(stem.name + f".{ISO3[lang]}"), [m.fronted(lang) for m in ms])
        write_lines(stem.with_name(stem.name + ".eng"), [m.fronted("en") for m in ms])


def make_belebele(out: Path, rng: random.Random) -> None:
    """facebook/belebele JSONL: a three-sentence passage, a question about the object of one
    of its sentences, four object phrases as options. Parallel across languages."""
    items = []
    for q in range(30):
        passage = distinct_meanings(rng, 3)
        asked = rng.randrange(3)
        wrong = rng.sample([k for k in range(len(OBJECTS)) if k != passage[asked].obj], 3)
        options = wrong + [passage[asked].obj]
        rng.shuffle(options)
        items.append((passage, asked, options, options.index(passage[asked].obj) + 1, q))
    for lang in LANGS:
        lines = []
        for passage, asked, options, correct, q in items:
            record = {
                "link": f"tiny/{q}", "question_number": 1,
                "flores_passage": " ".join(m.sentence(lang) for m in passage),
                "question": passage[asked].question(lang),
                **{f"mc_answer{i + 1}": OBJECTS[o][lang] for i, o in enumerate(options)},
                "correct_answer_num": str(correct), "dialect": NLLB[lang], "ds": "2023-01-01",
            }
            lines.append(json.dumps(record, ensure_ascii=False))
        write_lines(out / "eval" / "belebele" / f"{NLLB[lang]}.jsonl", lines)


def _text_variants(m: Meaning, lang: str, rng: random.Random) -> str:
    return rng.choice([m.sentence, m.fronted, m.negated])(lang)


def make_text(out: Path, rng: random.Random) -> None:
    """multilingual.txt (tiny base tokenizer) and corpus/<lang>.txt (monolingual text)."""
    lines = []
    for lang in LANGS:
        lines += [_text_variants(m, lang, rng) for m in distinct_meanings(rng, 1000)]
    rng.shuffle(lines)
    write_lines(out / "multilingual.txt", lines)
    for lang in LANGS:
        write_lines(out / "corpus" / f"{lang}.txt", [_text_variants(m, lang, rng) for m in distinct_meanings(rng, 800)])


def make_xnli(out: Path, rng: random.Random) -> None:
    """XNLI dev layout (premise, hypothesis, label; no header), parallel across languages:
    entailment = the place-fronted paraphrase, contradiction = the negation,
    neutral = another sentence about the same subject."""
    rows = []
    for m in distinct_meanings(rng, 100):
        other = vary(rng, m, 3)
        other = Meaning(m.subject, other.verb, other.obj, other.place)
        rows += [(m, m.fronted, "entailment"), (m, other.sentence, "neutral"), (m, m.negated, "contradiction")]
    for lang in LANGS:
        _tsv_plain(out / "train" / "xnli" / f"dev-{lang}.tsv",
                   [[m.sentence(lang), hyp(lang), label] for m, hyp, label in rows])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="modsent/resources/tiny", type=Path)
    parser.add_argument("--seed", default=13, type=int)
    args = parser.parse_args(argv)
    # One generator per output, so changing one file's recipe leaves the others unchanged.
    makers = [make_sts17, make_stsb, make_sick, make_str, make_sib, make_flores, make_tatoeba,
              make_belebele, make_text, make_xnli]
    for k, make in enumerate(makers):
        make(args.out, random.Random(args.seed * 1000 + k))


if __name__ == "__main__":
    main()
