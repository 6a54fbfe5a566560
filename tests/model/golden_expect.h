// The README's rules as gtest expectations: median |dlogit| and top-1 agreement within the row,
// the same prompt tokens, greedy tokens and text (shared/golden/README.md).
#pragma once
#include <gtest/gtest.h>

#include "golden.h"

namespace hearth::test {

inline void expect_within(const GoldenReport& r, const Tolerance& tol) {
  ASSERT_GT(r.n_diffs, 0u);
  EXPECT_LE(r.median_diff, tol.t);
  ASSERT_GT(r.scored, 0u);
  EXPECT_GE(static_cast<double>(r.agree) / r.scored, tol.top1);
  for (const auto& s : r.token_mismatch) ADD_FAILURE() << "prompt tokens differ: " << s;
  for (const auto& s : r.greedy_mismatch) ADD_FAILURE() << "greedy differs: " << s;
  for (const auto& s : r.text_mismatch) ADD_FAILURE() << "greedy text differs: " << s;
}

}  // namespace hearth::test
