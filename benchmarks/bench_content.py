"""The content check's two costly parts, each against what it replaces or competes with:

1. The phrase filter with 10,000 phrases, in MB/s of UTF-8 text: the seed's approach (one
   alternation regex per severity over the lower-cased text), the evasion-proof matcher per
   message and over one long text, and a bare Aho-Corasick scan of the lower-cased text (the
   ceiling: no normalisation at all). Also the share of disguised phrases each one catches.
2. The PII scanner against Microsoft Presidio's pattern recognizers on a labelled corpus this
   file generates: precision, recall and F1 per entity, and messages per second. Presidio runs
   in its own environment: set MA_BENCH_PRESIDIO_PYTHON to a Python that has presidio-analyzer
   (no spaCy model is needed for its pattern recognizers); without it that column is skipped.

Target: >= 20 MB/s for the filter; Presidio's F1 or better on each shared entity at >= 20x its
speed. Short by design (about a minute): MA_BENCH_CONTENT_MESSAGES sets the corpus size.
"""

from __future__ import annotations

import json
import os
import random
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import ahocorasick

from marketing_agent.core.logging import configure_logging
from marketing_agent.safety.content import Blacklist
from marketing_agent.safety.phrases import Phrase, PhraseMatcher
from marketing_agent.safety.pii import find_pii, luhn_valid
from marketing_agent.safety.service import ContentPolicy

MESSAGES = int(os.environ.get("MA_BENCH_CONTENT_MESSAGES", "2000"))
PHRASES = 10_000
OLD_BUDGET_S = 8.0  # the seed's regex is slow: it gets a time budget, not the whole corpus
rng = random.Random(7)

SENTENCES = [
    "Hi {name}, our spring collection has arrived in every store.",
    "Come and see the new linen shirts and the summer dresses this week.",
    "Members get 15% off hand-made soaps until Sunday.",
    "Your order ships on Monday; track it in the app.",
    "Привет, {name}! Новая коллекция льняных рубашек уже в магазине.",
    "Спасибо за заказ, мы доставим его в четверг.",
    "Hola {name}, ya llegó nuestra colección de primavera.",
    "Gracias por tu compra, tu pedido llegará el martes.",
    "Hallo {name}, unsere Frühjahrskollektion ist da.",
    "Vielen Dank für Ihre Bestellung, Größe 42 ist wieder verfügbar.",
    "Bonjour {name}, découvrez nos chemises en lin.",
    "Merci pour votre commande, elle sera livrée jeudi.",
    "Olá {name}, a nossa coleção de primavera chegou.",
    "Obrigado pela sua compra, o pedido chega na quarta-feira.",
    "Webinar on 12.03 at 18:00: how to care for linen. See https://shop.example.com/care",
]
NAMES = ["Anna", "Boris", "Carmen", "Dieter", "Élodie", "João", "Маша"]


# --- 1. the phrase filter ---------------------------------------------------------------------


def synthetic_phrases(count: int) -> list[str]:
    """Returns phrases of one to three invented words (so clean text rarely holds them)."""
    syllables = ["ka", "zu", "mor", "vex", "tri", "lo", "quen", "dra", "pol", "shi", "ner", "gax"]
    words = {"".join(rng.choice(syllables) for _ in range(rng.randint(2, 4))) for _ in range(6000)}
    vocabulary = sorted(words)
    phrases: set[str] = set()
    while len(phrases) < count:
        phrases.add(" ".join(rng.choice(vocabulary) for _ in range(rng.randint(1, 3))))
    return sorted(phrases)


EVASIONS: dict[str, Callable[[str], str]] = {
    "case": str.upper,
    "hyphens": lambda p: p.replace(" ", "-"),
    "split_inside_words": lambda p: " ".join(
        w[: len(w) // 2] + "-" + w[len(w) // 2 :] for w in p.split()
    ),
    "underscores": lambda p: p.replace(" ", "_"),
    "run_together": lambda p: p.replace(" ", ""),
    "dotted_letters": lambda p: ".".join(p),
    "spaced_letters": lambda p: " ".join(p.replace(" ", "")),
    "zero_width": lambda p: "\u200b".join(p),
    "leetspeak": lambda p: p.replace("o", "0").replace("e", "3").replace("a", "4"),
    "repeated": lambda p: re.sub(r"([aeiou])", r"\1\1\1", p),
    "fullwidth": lambda p: "".join(chr(ord(c) + 0xFEE0) if "a" <= c <= "z" else c for c in p),
    "confusables": lambda p: p.translate(str.maketrans("aeopcx", "аеорсх")),
    "accents": lambda p: p.translate(str.maketrans("aeiou", "áéíóú")),
}


def filter_corpus(phrases: list[str]) -> tuple[list[str], list[str]]:
    """Returns marketing messages (one in ten holds a disguised phrase) and those phrases."""
    messages, planted = [], []
    for index in range(MESSAGES):
        parts = [rng.choice(SENTENCES).format(name=rng.choice(NAMES)) for _ in range(6)]
        if index % 10 == 0:
            phrase = rng.choice(phrases)
            parts.insert(3, f"Try {rng.choice(list(EVASIONS.values()))(phrase)} today.")
            planted.append(phrase)
        messages.append(" ".join(parts))
    return messages, planted


def novel_corpus(messages: list[str]) -> list[str]:
    """Returns the messages with a made-up word in every sentence, so that no sentence repeats:
    the worst case for the sentences a matcher keeps (its own generator, so `rng` and the other
    corpora stay as they were)."""
    words = random.Random(11)
    letters = "abcdefghijklmnopqrstuvwxyzäöüéñа"

    def made_up(_: object = None) -> str:
        return "".join(words.choice(letters) for _ in range(words.randint(4, 9)))

    return [re.sub(r"([.!?])( |$)", lambda e: f" {made_up()}{e[1]}{e[2]}", m) for m in messages]


def fresh_blacklist(phrases: list[str], **options: int) -> Blacklist | None:
    """Returns a new blacklist of the phrases, None when this tree's `Blacklist` does not take
    `options` (an older tree, run side by side)."""
    try:
        return Blacklist((Phrase(p, "block") for p in phrases), **options)  # type: ignore[arg-type]
    except TypeError:
        return None


def seed_blacklist(terms: list[str]) -> Callable[[str], list[str]]:
    """The seed's matcher: one alternation per severity over the lower-cased text."""
    hyphen = r"[-‐‑\s]?"
    words = (
        r"\s+".join(re.escape(w).replace(r"\-", hyphen) for w in t.split(" "))
        for t in sorted(terms, key=len, reverse=True)
    )
    pattern = re.compile(r"(?<!\w)(?:" + "|".join(words) + r")(?!\w)")
    return lambda text: [m.group(0) for m in pattern.finditer(text.lower())]


def megabytes(texts: list[str]) -> float:
    return sum(len(t.encode()) for t in texts) / 1e6


Rate = tuple[float, float]  # MB/s of wall time, MB/s of this process's CPU time


def timed(run: Callable[[str], object], texts: list[str], budget_s: float = 1e9) -> Rate:
    """Returns MB/s of `run` over `texts` (stopping after `budget_s`), by wall and CPU time:
    on a shared machine the CPU figure is the one that says what the code costs."""
    done: list[str] = []
    start, cpu = time.perf_counter(), time.process_time()
    for text in texts:
        run(text)
        done.append(text)
        if time.perf_counter() - start > budget_s:
            break
    size = megabytes(done)
    return size / (time.perf_counter() - start), size / (time.process_time() - cpu)


def chunked(run: Callable[[list[str]], object], texts: list[str], size: int) -> Rate:
    """Returns MB/s of `run` over `texts` in chunks of `size` (wall, CPU)."""
    start, cpu = time.perf_counter(), time.process_time()
    for first in range(0, len(texts), size):
        run(texts[first : first + size])
    return megabytes(texts) / (time.perf_counter() - start), megabytes(texts) / (
        time.process_time() - cpu
    )


def worker_path(blacklist: Blacklist) -> Callable[[list[str]], object]:
    """The delivery worker's path for a chunk: the policy's one scan of every render
    (`prepare_many`), then `prepare` of each text (a lookup), as orchestrator/worker.py does;
    this includes the PII scanner, links, signals and Telegram's rules, not only phrases."""

    def run(texts: list[str]) -> object:
        policy = ContentPolicy(blacklist)
        policy.prepare_many(texts)
        return [policy.prepare(text) for text in texts]

    return run


def bench_filter() -> None:
    phrases = synthetic_phrases(PHRASES)
    messages, planted = filter_corpus(phrases)
    print(f"filter: {PHRASES:,} phrases, {len(messages):,} messages, {megabytes(messages):.2f} MB")

    start = time.perf_counter()
    blacklist = Blacklist(Phrase(p, "block") for p in phrases)
    print(f"  build, evasion-proof automaton: {time.perf_counter() - start:.1f} s")
    start = time.perf_counter()
    old = seed_blacklist(phrases)
    print(f"  build, seed's regex:            {time.perf_counter() - start:.1f} s")
    automaton = ahocorasick.Automaton()
    for phrase in phrases:
        automaton.add_word(phrase, phrase)
    automaton.make_automaton()

    matcher = PhraseMatcher([Phrase(p, "block") for p in phrases])
    joined = "\n".join(messages)
    novel = novel_corpus(messages)
    rows = [
        ("seed's regex (per message)", timed(old, messages, OLD_BUDGET_S)),
        ("evasion-proof (per message, first pass)", timed(blacklist.find, messages)),
        ("evasion-proof (per message, second pass)", timed(blacklist.find, messages)),
        ("evasion-proof (per message, every sentence new)", timed(blacklist.find, novel)),
        ("evasion-proof (chunks of 200 messages)", chunked(blacklist.find_many, messages, 200)),
        ("evasion-proof (one long text)", timed(matcher.find, [joined])),
        (
            "bare Aho-Corasick, lower-cased (per message)",
            timed(lambda t: list(automaton.iter(t.lower())), messages),
        ),
        ("whole check, worker's chunks of 200", chunked(worker_path(blacklist), messages, 200)),
    ]
    keeping_none = fresh_blacklist(phrases, sentences_kept=0)
    if keeping_none is not None:  # this tree's matcher keeps sentences: the same without
        rows.append(
            ("evasion-proof (per message, no sentence kept)", timed(keeping_none.find, messages))
        )
    print(f"  {'':50s} {'wall MB/s':>10s} {'CPU MB/s':>10s}")
    for name, (wall, cpu) in rows:
        print(f"  {name:50s} {wall:10.2f} {cpu:10.2f}")

    caught_old = caught_new = 0
    carriers = [m for i, m in enumerate(messages) if i % 10 == 0]
    for message, phrase in zip(carriers, planted, strict=True):
        caught_old += phrase in old(message)
        caught_new += any(r.match and r.category == "blacklist" for r in blacklist.find(message))
    share = 100 / max(1, len(planted))
    print(
        f"  disguised phrases caught: seed {caught_old * share:.0f} %, "
        f"evasion-proof {caught_new * share:.0f} % of {len(planted)}"
    )
    per_class = {}
    for name, disguise in EVASIONS.items():
        sample = rng.sample(phrases, 50)
        hits = sum(bool(matcher.find(f"Try {disguise(p)} today.")) for p in sample)
        per_class[name] = hits * 2
    print("  caught per evasion class (%):", json.dumps(per_class))


# --- 2. the PII scanner -----------------------------------------------------------------------


def card() -> str:
    prefix = rng.choice(["4", "51", "55", "37", "6011"])
    length = 15 if prefix == "37" else 16
    body = prefix + "".join(rng.choice("0123456789") for _ in range(length - len(prefix) - 1))
    number = next(body + d for d in "0123456789" if luhn_valid(body + d))
    return " ".join(number[i : i + 4] for i in range(0, len(number), 4))


def iban() -> str:
    bank = "".join(rng.choice("0123456789") for _ in range(18))
    check = 98 - int(bank + "131400") % 97  # DE = 13 14, "00" as the check placeholder
    return f"DE{check:02d}{bank}"


GENERATORS: dict[str, Callable[[], str]] = {
    "email": lambda: (
        rng.choice(["anna.k", "o'brien", "j+news", "max_1"])
        + "@"
        + rng.choice(["example.com", "mail.example.de", "shop.example.co.uk"])
    ),
    "phone": lambda: rng.choice(
        ["+49 30 1234 5678", "+44 20 7946 0958", "+7 912 345-67-89", "+33 1 23 45 67 89"]
    ),
    "card": card,
    "iban": iban,
    "crypto": lambda: rng.choice(
        [
            "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa",
            "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4",
            "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
        ]
    ),
    "ip": lambda: (
        f"{rng.randint(11, 223)}.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"
    ),
}
# Look-alikes that are not personal data: each must stay unreported.
HARD_NEGATIVES = [
    "icon@2x.png",
    "Serial 0123456789",
    "order 123456789",
    "on 2026-03-15",
    "from 1 299 000 ₽",
    "version 1.2.3",
    "4111 1111 1111 1112",
    "DE89370400440532013001",
    "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD",
    "sizes 36 38 40 42",
]


def pii_corpus() -> list[dict[str, object]]:
    corpus = []
    for _ in range(MESSAGES):
        parts: list[str] = []
        labels: list[tuple[str, int, int]] = []
        for _ in range(4):
            parts.append(rng.choice(SENTENCES).format(name=rng.choice(NAMES)) + " ")
            roll = rng.random()
            if roll < 0.35:
                entity = rng.choice(list(GENERATORS))
                value = GENERATORS[entity]()
                start = sum(len(p) for p in parts) + len("Details: ")
                parts.append(f"Details: {value} . ")
                labels.append((entity, start, start + len(value)))
            elif roll < 0.5:
                parts.append(rng.choice(HARD_NEGATIVES) + " . ")
        corpus.append({"text": "".join(parts), "labels": labels})
    return corpus


PRESIDIO_SCRIPT = r"""
import json, sys, time
from presidio_analyzer.predefined_recognizers import (
    CreditCardRecognizer, CryptoRecognizer, EmailRecognizer, IbanRecognizer, IpRecognizer,
    PhoneRecognizer)
regions = ["DE", "GB", "FR", "ES", "PT", "IT", "NL", "RU", "US", "BR"]
recognizers = {"card": CreditCardRecognizer(), "crypto": CryptoRecognizer(),
    "email": EmailRecognizer(), "iban": IbanRecognizer(), "ip": IpRecognizer(),
    "phone": PhoneRecognizer(supported_regions=regions)}
corpus = json.load(open(sys.argv[1]))
def analyse(item):
    found = []
    for entity, rec in recognizers.items():
        for r in rec.analyze(item["text"], rec.supported_entities, None):
            if r.score > 0:
                found.append((entity, r.start, r.end))
    return found
for item in corpus[:WARM_UP]:
    analyse(item)
start, cpu = time.perf_counter(), time.process_time()
out = [analyse(item) for item in corpus]
elapsed, cpu_s = time.perf_counter() - start, time.process_time() - cpu
json.dump({"predictions": out, "elapsed_s": elapsed, "cpu_s": cpu_s}, sys.stdout)
"""
WARM_UP = 200  # messages each scanner sees before it is timed (lazy set-up, first regexes)


def score(
    corpus: list[dict[str, object]], predictions: list[list[tuple[str, int, int]]]
) -> dict[str, tuple[float, float, float]]:
    """Returns precision, recall and F1 per entity: a hit is an overlapping span of that type."""
    result = {}
    for entity in GENERATORS:
        tp = fp = fn = 0
        for item, predicted in zip(corpus, predictions, strict=True):
            gold = [(s, e) for k, s, e in item["labels"] if k == entity]  # type: ignore[attr-defined]
            guess = [(s, e) for k, s, e in predicted if k == entity]
            matched = {g for g in gold for p in guess if p[0] < g[1] and g[0] < p[1]}
            tp += len(matched)
            fn += len(gold) - len(matched)
            fp += sum(1 for p in guess if not any(p[0] < g[1] and g[0] < p[1] for g in gold))
        precision = tp / (tp + fp) if tp + fp else 1.0
        recall = tp / (tp + fn) if tp + fn else 1.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        result[entity] = (precision, recall, f1)
    return result


def bench_pii() -> None:
    corpus = pii_corpus()
    print(f"pii: {len(corpus):,} messages, {sum(len(c['labels']) for c in corpus):,} entities")  # type: ignore[arg-type]
    for item in corpus[:WARM_UP]:
        find_pii(str(item["text"]))
    start, cpu = time.perf_counter(), time.process_time()
    ours = [[(f.entity, *f.span) for f in find_pii(str(c["text"]))] for c in corpus]
    ours_rate = len(corpus) / (time.perf_counter() - start)
    ours_cpu_rate = len(corpus) / (time.process_time() - cpu)
    ours_scores = score(corpus, ours)  # type: ignore[arg-type]

    presidio_python = os.environ.get("MA_BENCH_PRESIDIO_PYTHON")
    theirs_scores: dict[str, tuple[float, float, float]] = {}
    theirs_rate = theirs_cpu_rate = None
    if presidio_python:
        with tempfile.TemporaryDirectory() as folder:
            corpus_file = Path(folder) / "corpus.json"
            corpus_file.write_text(json.dumps(corpus))
            script = Path(folder) / "presidio_run.py"
            script.write_text(PRESIDIO_SCRIPT.replace("WARM_UP", str(WARM_UP)))
            done = subprocess.run(  # a Python the operator named
                [presidio_python, str(script), str(corpus_file)],
                capture_output=True,
                text=True,
                check=True,
            )
        answer = json.loads(done.stdout)
        theirs = [[tuple(p) for p in found] for found in answer["predictions"]]
        theirs_scores = score(corpus, theirs)  # type: ignore[arg-type]
        theirs_rate = len(corpus) / answer["elapsed_s"]
        theirs_cpu_rate = len(corpus) / answer["cpu_s"]
    else:
        print("  Presidio skipped: set MA_BENCH_PRESIDIO_PYTHON to a Python with presidio-analyzer")

    print(f"  {'entity':8s} {'ours P / R / F1':>22s} {'Presidio P / R / F1':>24s}")
    for entity in GENERATORS:
        p, r, f = ours_scores[entity]
        line = f"  {entity:8s} {p:6.3f} {r:6.3f} {f:6.3f}"
        if entity in theirs_scores:
            tp, tr, tf = theirs_scores[entity]
            line += f"   {tp:6.3f} {tr:6.3f} {tf:6.3f}"
        print(line)
    print(f"  messages/s of CPU time: ours {ours_cpu_rate:,.0f}", end="")
    if theirs_rate and theirs_cpu_rate:
        print(f", Presidio {theirs_cpu_rate:,.0f} ({ours_cpu_rate / theirs_cpu_rate:.1f}x)")
        print(
            f"  messages/s of wall time: ours {ours_rate:,.0f}, Presidio {theirs_rate:,.0f}"
            f" ({ours_rate / theirs_rate:.1f}x; each in its own minute, so the load differs)"
        )
    else:
        print(f"; of wall time {ours_rate:,.0f}")


if __name__ == "__main__":
    configure_logging("WARNING")  # not one `content.blocked` line per blocked message
    print(f"load average {os.getloadavg()[0]:.1f} at the start")
    bench_filter()
    bench_pii()
    print(f"load average {os.getloadavg()[0]:.1f} at the end")
    sys.exit(0)
