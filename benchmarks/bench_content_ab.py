"""Two versions of the content check side by side, and Presidio, in one run on the same data.

The machine is shared, so CPU time of one process tells more than wall time, and rounds
alternate (old, new, Presidio, old, new, ...) so that each sees the same load. Each round is a
fresh process that imports one source tree and measures, over bench_content.py's corpora:
- the phrase filter with 10,000 phrases, `Blacklist.find` per message: MB/s of CPU time, best of
  three passes (the first pass also measured: it pays the cold caches, and is the figure to
  quote), then one pass over the same messages with a made-up word in every sentence (no
  sentence repeats: the worst case for the sentences a matcher keeps);
- the PII scanner, `find_pii` per message: messages per second of CPU time, best of three passes;
- Presidio's pattern recognizers on the same PII corpus (with MA_BENCH_PRESIDIO_PYTHON).

Usage: MA_BENCH_PRESIDIO_PYTHON=/tmp/presidio-venv/bin/python .venv/bin/python
benchmarks/bench_content_ab.py OLD_SRC NEW_SRC [ROUNDS]   (OLD_SRC: e.g. a `git archive` of
main's src/ unpacked in /tmp; the corpora come from this file's bench_content.py).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent

OURS = r"""
import json, sys, time
sys.path.insert(0, sys.argv[1])
import bench_content as b
from marketing_agent.safety.content import Blacklist
from marketing_agent.safety.phrases import Phrase
from marketing_agent.safety.pii import find_pii
phrases = b.synthetic_phrases(b.PHRASES)
messages, _ = b.filter_corpus(phrases)
pii_texts = [str(c["text"]) for c in json.load(open(sys.argv[2]))]
blacklist = Blacklist(Phrase(p, "block") for p in phrases)
size = b.megabytes(messages)

def passes(run, texts, count=3):
    rates = []
    for _ in range(count):
        cpu = time.process_time()
        for text in texts:
            run(text)
        rates.append(time.process_time() - cpu)
    return rates

filter_s = passes(blacklist.find, messages)
novel = b.novel_corpus(messages)
novel_s = passes(blacklist.find, novel, 1)
pii_s = passes(find_pii, pii_texts)
print(json.dumps({
    "filter_first_mb_s": size / filter_s[0], "filter_best_mb_s": size / min(filter_s),
    "filter_novel_mb_s": b.megabytes(novel) / novel_s[0],
    "pii_first_msg_s": len(pii_texts) / pii_s[0], "pii_best_msg_s": len(pii_texts) / min(pii_s),
}))
"""

PRESIDIO = r"""
import json, sys, time
from presidio_analyzer.predefined_recognizers import (
    CreditCardRecognizer, CryptoRecognizer, EmailRecognizer, IbanRecognizer, IpRecognizer,
    PhoneRecognizer)
regions = ["DE", "GB", "FR", "ES", "PT", "IT", "NL", "RU", "US", "BR"]
recognizers = [CreditCardRecognizer(), CryptoRecognizer(), EmailRecognizer(), IbanRecognizer(),
    IpRecognizer(), PhoneRecognizer(supported_regions=regions)]
texts = [c["text"] for c in json.load(open(sys.argv[1]))]
times = []
for _ in range(3):
    cpu = time.process_time()
    for text in texts:
        for rec in recognizers:
            rec.analyze(text, rec.supported_entities, None)
    times.append(time.process_time() - cpu)
print(json.dumps({"pii_first_msg_s": len(texts) / times[0],
                  "pii_best_msg_s": len(texts) / min(times)}))
"""


def main() -> None:
    old_src, new_src = sys.argv[1], sys.argv[2]
    rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 2
    presidio = os.environ.get("MA_BENCH_PRESIDIO_PYTHON")
    sys.path.insert(0, str(HERE))
    sys.path.insert(0, new_src)
    import bench_content

    with tempfile.TemporaryDirectory() as folder:
        corpus = Path(folder) / "pii.json"
        corpus.write_text(json.dumps(bench_content.pii_corpus()))
        ours, theirs = Path(folder) / "ours.py", Path(folder) / "presidio.py"
        ours.write_text(OURS)
        theirs.write_text(PRESIDIO)
        for round_ in range(1, rounds + 1):
            runs = [("old", old_src), ("new", new_src)]
            for name, src in runs:
                env = {**os.environ, "PYTHONPATH": src}
                out = subprocess.run(  # the trees the operator named
                    [sys.executable, str(ours), str(HERE), str(corpus)],
                    env=env,
                    capture_output=True,
                    text=True,
                    check=True,
                )
                print(
                    f"round {round_} {name:8s} load {os.getloadavg()[0]:5.1f} {out.stdout.strip()}"
                )
            if presidio:
                out = subprocess.run(  # a Python the operator named
                    [presidio, str(theirs), str(corpus)], capture_output=True, text=True, check=True
                )
                print(
                    f"round {round_} presidio load {os.getloadavg()[0]:5.1f} {out.stdout.strip()}"
                )


if __name__ == "__main__":
    main()
