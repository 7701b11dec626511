"""The seed's classifier under Python's re, timed on the corpus tools/bench/routerBench.mjs writes.

Usage: python3 tools/bench/router_seed_re.py CORPUS.jsonl REPEATS
CORPUS.jsonl holds {"size": "short" | "medium" | "long", "text": ...} lines. Prints one JSON object: for each size
class and each run, the prompts per second and the p50 / p99 latency in milliseconds; the tier counts of the last
run (a side effect the interpreter cannot skip).
"""
import json
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "eval"))
from seed_patterns import classify  # noqa: E402  the seed's code, verbatim


def percentile(sorted_values, p):
    return sorted_values[min(len(sorted_values) - 1, int(p * len(sorted_values)))]


def main():
    path, repeats = sys.argv[1], int(sys.argv[2])
    rows = [json.loads(line) for line in open(path, encoding="utf-8") if line.strip()]
    sizes = sorted({r["size"] for r in rows})
    for r in rows[:50]:
        classify(r["text"])  # warm the re module's pattern cache
    runs = {s: [] for s in sizes}
    tiers = {}
    for _ in range(repeats):
        tiers = {}
        for s in sizes:
            texts = [r["text"] for r in rows if r["size"] == s]
            # throughput from one timer around the size class, then latency from a timer around each call
            start = time.perf_counter_ns()
            for text in texts:
                tier = classify(text)
                tiers[tier] = tiers.get(tier, 0) + 1
            total = (time.perf_counter_ns() - start) / 1e6
            times = []
            for text in texts:
                t0 = time.perf_counter_ns()
                classify(text)
                times.append((time.perf_counter_ns() - t0) / 1e6)
            times.sort()
            runs[s].append({"perSecond": len(texts) / (total / 1000), "p50": percentile(times, 0.5), "p99": percentile(times, 0.99)})
    print(json.dumps({"python": sys.version.split()[0], "runs": runs, "tiers": tiers}))


if __name__ == "__main__":
    main()
