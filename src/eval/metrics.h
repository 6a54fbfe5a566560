// Metric values per document and their aggregation with a standard error, following the
// harness: means use the sample standard error; corpus-level metrics (perplexities, f1) are
// aggregated over all items and their error is bootstrapped with a fixed seed.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "eval/task.h"

namespace hearth::eval {

// One document's contribution to a metric. Mean metrics use a only; weighted metrics are
// (log-likelihood, weight); f1 on choices is (gold, prediction); token_perplexity carries the
// squared per-token NLL sum in c.
struct MetricItem {
  double a = 0, b = 1, c = 0;
};

struct Aggregate {
  double value = 0;
  std::optional<double> stderr_;  // unset when it cannot be estimated (one item)
};

// Per-document scores for generated answers.
double exact_match(const MetricSpec& m, const std::string& pred, const std::string& gold);
double contains_match(const MetricSpec& m, const std::string& pred, const std::string& gold);
double regex_match(const MetricSpec& m, const std::string& pred, const std::string& gold);
double token_f1(const std::string& pred, const std::string& gold);
// 1 when the answer refuses exactly when `expected` is "refuse" (keyword detector).
double refusal_match(const std::string& pred, const std::string& expected);
bool looks_like_refusal(const std::string& text);

// Index of the highest score (ties to the lower index).
int argmax(const std::vector<double>& v);

// `metric` decides the aggregation (mean, perplexity, weighted perplexities, bits_per_byte, f1).
Aggregate aggregate(const std::string& metric, const std::string& output_type_name, const std::vector<MetricItem>& items,
                    int bootstrap_iters = 1000);

}  // namespace hearth::eval
