// Log-softmax helpers over one row of logits.
#pragma once
#include <cstdint>

namespace hearth::eval {

// log p(token) under softmax(row); row has n floats. Computed in double.
double token_logprob(const float* row, int64_t n, int32_t token);
// The row's argmax (ties to the lower id).
int32_t row_argmax(const float* row, int64_t n);

}  // namespace hearth::eval
