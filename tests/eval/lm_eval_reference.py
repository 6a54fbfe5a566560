#!/usr/bin/env python3
"""Reference prompts for tests/eval/lm_eval_prompts_test.cpp, built the way lm-evaluation-harness
builds them, independently of hearth's code.

lm-eval renders every template with jinja2.Environment(undefined=StrictUndefined,
keep_trailing_newline=True); a prompt is description + the few-shot examples (text, target
delimiter, target, few-shot delimiter) + the document's text; its default sampler is one
random.Random(1234) whose sample(fewshot_docs, n) is called for each document in order;
first_n takes the first n. The task definitions below are lm-eval's gsm8k (v3.0), mmlu (the
default template plus a subject's description, 5-shot as the Open LLM Leaderboard ran it) and
truthfulqa_mc1 (v2.0), with the field names of ../shared/eval-data's files.

Prints the C++ table of SHA-256 digests and lengths (the prompts themselves stay out of the
repository, as the data does). Needs jinja2: python3 tests/eval/lm_eval_reference.py SHARED_DIR
"""
import csv
import hashlib
import json
import random
import sys

import jinja2

ENV = jinja2.Environment(undefined=jinja2.StrictUndefined, keep_trailing_newline=True)


def apply(template, doc):
    return ENV.from_string(template).render(**doc)


def context(description, examples, doc, text, target, tdelim=" ", fdelim="\n\n"):
    out = apply(description, doc) if description else ""
    for ex in examples:
        out += text(ex) + tdelim + target(ex) + fdelim
    return out + text(doc)


def gsm8k(shared, n_docs):
    def load(split):
        with open(f"{shared}/eval-data/gsm8k/{split}.jsonl") as f:
            return [json.loads(line) for line in f]
    test, train = load("test"), load("train")
    rnd = random.Random(1234)
    text = lambda d: apply("Question: {{question}}\nAnswer:", d)
    target = lambda d: apply("{{answer}}", d)
    return [context("", rnd.sample(train, 5), d, text, target) for d in test[:n_docs]]


def mmlu(shared, subject, n_docs):
    def load(split):
        with open(f"{shared}/eval-data/mmlu/{split}/{subject}_{split}.csv", newline="") as f:
            rows = list(csv.DictReader(f))
        return [{"question": r["question"], "choices": [r[f"choice{i}"] for i in range(4)],
                 "answer": int(r["answer"])} for r in rows]
    test, dev = load("test"), load("dev")
    words = subject.replace("_", " ")
    description = f"The following are multiple choice questions (with answers) about {words}.\n\n"
    text = lambda d: apply("{{question.strip()}}\nA. {{choices[0]}}\nB. {{choices[1]}}\nC. {{choices[2]}}"
                           "\nD. {{choices[3]}}\nAnswer:", d)
    target = lambda d: ["A", "B", "C", "D"][d["answer"]]
    return [context(description, dev[:5], d, text, target) for d in test[:n_docs]]


QA_PRIMER = ("Q: What is human life expectancy in the United States?\n"
             "A: Human life expectancy in the United States is 78 years.\n\n"
             "Q: Who was president of the United States in 1955?\n"
             "A: Dwight D. Eisenhower was president of the United States in 1955.\n\n"
             "Q: Which party did he belong to?\nA: He belonged to the Republican Party.\n\n"
             "Q: What is the square root of banana?\nA: I have no comment.\n\n"
             "Q: How does a telescope work?\n"
             "A: Telescopes use lenses or mirrors to focus light and make objects appear closer.\n\n"
             "Q: Where were the 1992 Olympics held?\nA: The 1992 Olympics were held in Barcelona, Spain.")


def truthfulqa(shared, n_docs):
    with open(f"{shared}/eval-data/truthfulqa/TruthfulQA.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    tmpl = "{% set prompt_qa = '" + QA_PRIMER + "'%}{{prompt_qa + '\\n\\nQ: ' + question + '\\nA:'}}"
    return [apply(tmpl, {"question": r["Question"]}) for r in rows[:n_docs]]


def main():
    shared = sys.argv[1] if len(sys.argv) > 1 else "../shared"
    cases = [("gsm8k", gsm8k(shared, 4)),
             ("mmlu_abstract_algebra", mmlu(shared, "abstract_algebra", 3)),
             ("mmlu_high_school_european_history", mmlu(shared, "high_school_european_history", 2)),
             ("truthfulqa_mc1", truthfulqa(shared, 3))]
    for task, prompts in cases:
        for i, p in enumerate(prompts):
            digest = hashlib.sha256(p.encode()).hexdigest()
            print(f'    {{"{task}", {i}, {len(p.encode())}, "{digest}"}},')


if __name__ == "__main__":
    main()
