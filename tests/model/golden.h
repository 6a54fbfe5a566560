// Comparison of hearth's logits with llama.cpp's golden files, by the rules of
// shared/golden/README.md. Shared by the golden tests and usable from tools.
#pragma once
#include <string>
#include <vector>

#include "core/json.h"
#include "model/model.h"
#include "tensor/types.h"

namespace hearth::test {

struct Tolerance {
  float t;          // median |logit - golden| over the golden top-10 ids
  double top1;      // fraction of scored positions whose argmax must agree
  std::string row;  // which row of the README table
};

// The row of the README's table for the "worst" weight type in the model.
Tolerance tolerance_for(const model::Model& m);

struct GoldenReport {
  size_t n_diffs = 0;
  double median_diff = 0;
  size_t scored = 0, agree = 0;              // top-1 agreement over non-near-tie positions
  std::vector<std::string> token_mismatch;   // prompts whose tokens differ (when tokenizer given)
  std::vector<std::string> greedy_mismatch;  // "prompt: step k: ours X golden Y"
  std::vector<std::string> text_mismatch;    // greedy text differs (stories260K check)
  int greedy_checked = 0;                    // greedy steps compared
};

// Runs every prompt of `golden` through `m` (batch prompt with all logits, then 32 greedy
// steps one token at a time) and compares.
// `kv` is the KV cache's types (the kv_f16/ files were made with an F16 cache).
GoldenReport compare_golden(const model::Model& m, const json& golden, const Tolerance& tol, bool check_text,
                            int n_threads, model::KvTypes kv = {});

}  // namespace hearth::test
