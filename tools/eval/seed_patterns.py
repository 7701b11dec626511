"""The seed's original complexity classifier, verbatim, as the reference for tools/eval/routerEval.mjs.

Usage: python3 tools/eval/seed_patterns.py FILE.jsonl [...]
Reads {"text": ...} lines (and an optional "context") and prints one tier per line, in order, so the eval script
can check that its JavaScript port of the seed gives the same answers.
"""
import json
import re
import sys

complexity_patterns = {
    "simple": [r"\b(fix|format|indent|rename|import)\b", r"\b(add|remove|delete)\s+\w+\s*(comment|log|print)\b", r"\bgenerate\s+(getter|setter|constructor)\b", r"\b(what|where|when|how)\s+is\b"],
    "moderate": [r"\b(refactor|optimize|implement|create)\b", r"\b(add|write|build)\s+(function|method|class)\b", r"\b(test|debug|fix)\s+(bug|issue|error)\b", r"\b(explain|describe|analyze)\b.*\b(code|algorithm|pattern)\b"],
    "complex": [r"\b(architect|design|migrate|transform)\b", r"\b(integrate|connect|sync)\s+.*\b(api|database|service)\b", r"\b(performance|security|scalability)\s+(issue|concern|optimization)\b", r"\b(multi|cross)[-\s](platform|service|thread|process)\b", r"\b(deploy|ci\/cd|infrastructure|docker|kubernetes)\b"],
}


def classify(prompt, context=""):
    full_text = f"{prompt} {context}".lower()
    scores = {c: sum(len(re.findall(p, full_text, re.IGNORECASE)) for p in ps) for c, ps in complexity_patterns.items()}
    wc = len(full_text.split())
    if wc > 100:
        scores["complex"] += 2
    elif wc > 50:
        scores["moderate"] += 1
    else:
        scores["simple"] += 1
    tech = ["algorithm", "architecture", "framework", "library", "protocol", "asynchronous", "concurrent", "distributed", "microservice", "authentication", "authorization", "encryption", "validation"]
    ts = sum(1 for k in tech if k in full_text)
    if ts >= 3:
        scores["complex"] += ts
    elif ts >= 1:
        scores["moderate"] += ts
    code = ["class", "function", "method", "interface", "enum", "struct"]
    cs = sum(1 for k in code if k in full_text)
    if cs >= 3:
        scores["moderate"] += 1
    elif cs >= 5:
        scores["complex"] += 1
    if scores["complex"] > 0:
        return "complex"
    elif scores["moderate"] > scores["simple"]:
        return "moderate"
    return "simple"


if __name__ == "__main__":
    for path in sys.argv[1:]:
        with open(path, encoding="utf-8") as f:
            for line in f:
                if line.strip():
                    row = json.loads(line)
                    print(classify(row["text"], row.get("context", "")))
