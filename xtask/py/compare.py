"""The peer an analyst would pick: scikit-learn TF-IDF (word 1-2 + char_wb 2-5 grams) + LinearSVC,
cross-validated on exactly the folds `kundenversteher eval --cv K --seed S` uses (the fold
assignment below re-implements analysis::linear::stratified_folds with its splitmix64), plus its
prediction throughput on one core. Run through `cargo xtask compare-sklearn`, which installs
scikit-learn from PyPI into target/py-venv.

Usage: compare.py --data ../shared/data [--folds 5] [--seed 42] [--tasks airline-sentiment,...]
Prints one JSON object per task.
"""

import argparse
import csv
import json
import sys
import time

from sklearn.metrics import accuracy_score, f1_score, precision_recall_fscore_support
from sklearn.pipeline import FeatureUnion, make_pipeline
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.svm import LinearSVC

MASK = (1 << 64) - 1


class SplitMix:
    def __init__(self, seed):
        self.state = seed & MASK

    def next_u64(self):
        self.state = (self.state + 0x9E3779B97F4A7C15) & MASK
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
        return z ^ (z >> 31)

    def shuffle(self, v):
        for i in range(len(v) - 1, 0, -1):
            j = self.next_u64() % (i + 1)
            v[i], v[j] = v[j], v[i]


def stratified_folds(labels, k, seed):
    classes = sorted(set(labels))
    rng = SplitMix(seed)
    by_class = [[] for _ in classes]
    index = {c: i for i, c in enumerate(classes)}
    for i, l in enumerate(labels):
        by_class[index[l]].append(i)
    fold = [0] * len(labels)
    nxt = 0
    for members in by_class:
        rng.shuffle(members)
        for i in members:
            fold[i] = nxt % k
            nxt += 1
    return fold


def read_germeval2017(data):
    rows = []
    for name in ["germeval2017/dev_v1.4.tsv", "germeval2017/trial.tsv"]:
        with open(f"{data}/{name}", encoding="utf-8") as f:
            for line in f:
                line = line.rstrip("\n").rstrip("\r")
                if not line:
                    continue
                rows.append(line.split("\t"))
    return rows


def task_data(task, data):
    if task in ("germeval2017-relevance", "germeval2017-sentiment"):
        rows = read_germeval2017(data)
        col = 2 if task.endswith("relevance") else 3
        return [r[1] for r in rows], [r[col].strip().lower() for r in rows]
    if task == "germeval2018-offense":
        texts, labels = [], []
        with open(f"{data}/germeval2018/germeval2018.training.txt", encoding="utf-8") as f:
            for line in f:
                line = line.rstrip("\n")
                if not line:
                    continue
                t, coarse, _fine = line.split("\t")
                texts.append(t.replace("|LBR|", "\n"))
                labels.append(coarse)
        return texts, labels
    if task in ("germeval2021-toxicity", "germeval2021-fact-claim"):
        col, yes = ("Sub1_Toxic", "toxic") if task.endswith("toxicity") else ("Sub3_FactClaiming", "fact")
        texts, labels = [], []
        with open(f"{data}/germeval2021/GermEval21_TrainData.csv", encoding="utf-8", newline="") as f:
            for r in csv.DictReader(f):
                texts.append(r["comment_text"])
                labels.append(yes if r[col].strip() == "1" else "other")
        return texts, labels
    if task == "airline-sentiment":
        texts, labels = [], []
        with open(f"{data}/twitter_us_airline_sentiment/Tweets.csv", encoding="utf-8", newline="") as f:
            for r in csv.DictReader(f):
                texts.append(r["text"])
                labels.append(r["airline_sentiment"])
        return texts, labels
    if task == "banking77-intent":
        texts, labels = [], []
        with open(f"{data}/banking77/train.csv", encoding="utf-8", newline="") as f:
            for r in csv.DictReader(f):
                texts.append(r["text"])
                labels.append(r["category"].strip())
        return texts, labels
    raise SystemExit(f"unknown task {task}")


def pipeline():
    return make_pipeline(
        FeatureUnion([
            ("word", TfidfVectorizer(analyzer="word", ngram_range=(1, 2), sublinear_tf=True, min_df=1)),
            ("char", TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, min_df=1)),
        ]),
        LinearSVC(C=1.0),
    )


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True)
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--tasks", default="germeval2017-relevance,germeval2017-sentiment,germeval2018-offense,"
                    "germeval2021-toxicity,germeval2021-fact-claim,airline-sentiment,banking77-intent")
    ap.add_argument("--throughput", help="JSONL file with `text`: time vectorise+predict of the "
                    "airline-sentiment pipeline on it (wall and CPU seconds), instead of the CV runs")
    args = ap.parse_args()
    if args.throughput:
        texts, labels = task_data("airline-sentiment", args.data)
        model = pipeline().fit(texts, labels)
        with open(args.throughput, encoding="utf-8") as f:
            inputs = [json.loads(l)["text"] for l in f if l.strip()]
        w0, c0 = time.perf_counter(), time.process_time()
        model.predict(inputs)
        wall, cpu = time.perf_counter() - w0, time.process_time() - c0
        print(json.dumps({"system": "sklearn tfidf(word1-2+char_wb2-5)+LinearSVC, one model",
                          "file": args.throughput, "n": len(inputs), "wall_s": wall, "cpu_s": cpu,
                          "msgs_per_s_wall": len(inputs) / wall, "msgs_per_cpu_s": len(inputs) / cpu}))
        return
    for task in args.tasks.split(","):
        texts, labels = task_data(task, args.data)
        fold = stratified_folds(labels, args.folds, args.seed)
        pred = [None] * len(texts)
        fit_s = 0.0
        for f in range(args.folds):
            tr = [i for i in range(len(texts)) if fold[i] != f]
            te = [i for i in range(len(texts)) if fold[i] == f]
            t0 = time.perf_counter()
            model = pipeline().fit([texts[i] for i in tr], [labels[i] for i in tr])
            fit_s += time.perf_counter() - t0
            for i, p in zip(te, model.predict([texts[i] for i in te])):
                pred[i] = p
        classes = sorted(set(labels))
        p, r, f1, s = precision_recall_fscore_support(labels, pred, labels=classes, zero_division=0)
        # Throughput: vectorise + predict every text once with the last fold's model, one core.
        t0 = time.perf_counter()
        model.predict(texts)
        predict_s = time.perf_counter() - t0
        print(json.dumps({
            "task": task,
            "system": "sklearn tfidf(word1-2+char_wb2-5)+LinearSVC",
            "n": len(texts),
            "cv": args.folds,
            "seed": args.seed,
            "micro_f1": accuracy_score(labels, pred),
            "macro_f1": f1_score(labels, pred, average="macro"),
            "per_class": {c: {"precision": float(p[i]), "recall": float(r[i]), "f1": float(f1[i]),
                              "support": int(s[i])} for i, c in enumerate(classes)} if len(classes) <= 10 else {},
            "fit_seconds_per_fold": fit_s / args.folds,
            "predict_msgs_per_s": len(texts) / predict_s,
        }), flush=True)


if __name__ == "__main__":
    sys.exit(main())
