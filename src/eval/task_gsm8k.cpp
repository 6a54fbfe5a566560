// GSM8K: grade-school maths, answered by generation; the number after "####" is extracted by a
// regex and compared exactly (commas, dollar signs and a trailing period ignored).
#include "eval/builtin.h"

namespace hearth::eval {

std::vector<BuiltinTask> gsm8k_tasks() {
  return {{"gsm8k", "GSM8K test (1,319 problems), 5-shot generation, regex answer extraction", R"YAML(
task: gsm8k
dataset_path: ${EVAL_DATA}/gsm8k/test.jsonl
test_split: test
fewshot_split: test
output_type: generate_until
doc_to_text: "Question: {{question}}\nAnswer:"
doc_to_target: "{{answer}}"
target_delimiter: " "
fewshot_delimiter: "\n\n"
num_fewshot: 5
fewshot_config:
  sampler: first_n
generation_kwargs:
  until: ["Question:", "</s>", "<|im_end|>", "\n\n"]
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
