#include "eval/logprob.h"

#include <cmath>

namespace hearth::eval {

double token_logprob(const float* row, int64_t n, int32_t token) {
  float mx = row[0];
  for (int64_t i = 1; i < n; ++i) mx = row[i] > mx ? row[i] : mx;
  double sum = 0;
  for (int64_t i = 0; i < n; ++i) sum += std::exp(static_cast<double>(row[i] - mx));
  return static_cast<double>(row[token] - mx) - std::log(sum);
}

int32_t row_argmax(const float* row, int64_t n) {
  int32_t best = 0;
  for (int64_t i = 1; i < n; ++i)
    if (row[i] > row[best]) best = static_cast<int32_t>(i);
  return best;
}

}  // namespace hearth::eval
