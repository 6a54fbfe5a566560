// WikiText-2 perplexity. `wikitext` scores the whole test file the way llama.cpp's
// llama-perplexity does (chunks of rolling_context tokens, BOS first, second half scored), so
// its token_perplexity is comparable with that tool's figure; word/byte perplexity and bits per
// byte come from the same log-likelihood.
#include "eval/builtin.h"

namespace hearth::eval {

std::vector<BuiltinTask> wikitext_tasks() {
  return {{"wikitext", "WikiText-2 test, rolling perplexity with llama-perplexity's method (-c 128)", R"YAML(
task: wikitext
dataset_path: ${EVAL_DATA}/wikitext-2/test.txt
output_type: loglikelihood_rolling
doc_to_text: ""
doc_to_target: text
rolling_method: llama_perplexity
rolling_context: 128
metric_list:
  - metric: token_perplexity
  - metric: word_perplexity
  - metric: byte_perplexity
  - metric: bits_per_byte
metadata:
  version: 1.0
)YAML", {}, {}, {}}};
}

}  // namespace hearth::eval
