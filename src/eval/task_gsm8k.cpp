// GSM8K as lm-eval's gsm8k task (version 3.0) defines it: grade-school maths answered by
// generation after 5 examples drawn from the train split with lm-eval's default sampler; the
// number after "####" (strict-match) or the last number (flexible-extract) is compared exactly,
// commas, dollar signs and a trailing period ignored.
#include "eval/builtin.h"

namespace hearth::eval {

std::vector<BuiltinTask> gsm8k_tasks() {
  return {{"gsm8k", "GSM8K test (1,319 problems), 5-shot from train, generation, regex answer extraction", R"YAML(
task: gsm8k
dataset_path: ${EVAL_DATA}/gsm8k
training_split: train
fewshot_split: train
test_split: test
output_type: generate_until
doc_to_text: "Question: {{question}}\nAnswer:"
doc_to_target: "{{answer}}"
target_delimiter: " "
fewshot_delimiter: "\n\n"
num_fewshot: 5
generation_kwargs:
  until: ["Question:", "</s>", "<|im_end|>"]
  max_gen_toks: 256
  do_sample: false
  temperature: 0.0
filter_list:
  - name: strict-match
    filter:
      - function: regex
        regex_pattern: "#### (\\-?[0-9\\.\\,]+)"
      - function: take_first
  - name: flexible-extract
    filter:
      - function: regex
        group_select: -1
        regex_pattern: "(-?[$0-9.,]{2,})|(-?[0-9]+)"
      - function: take_first
metric_list:
  - metric: exact_match
    aggregation: mean
    higher_is_better: true
    ignore_case: true
    ignore_punctuation: false
    regexes_to_ignore: [",", "\\$", "(?s).*#### ", "\\.$"]
metadata:
  version: 3.0
)YAML", {}, {}, {}}};
}

}  // namespace hearth::eval
