// Batched steps across sequences (continuous batching) must give each sequence exactly the
// logits it would get alone: rows never mix, positions and caches stay per sequence.
#include <gtest/gtest.h>

#include <cmath>

#include "core/error.h"
#include "core/thread_pool.h"
#include "model/model.h"
#include "support/shared_data.h"

namespace {

using hearth::model::KvCache;
using hearth::model::Model;

float max_abs_diff(const float* a, const float* b, int64_t n) {
  float m = 0;
  for (int64_t i = 0; i < n; ++i) m = std::max(m, std::fabs(a[i] - b[i]));
  return m;
}

class ForwardBatch : public ::testing::TestWithParam<const char*> {};

TEST_P(ForwardBatch, MatchesSeparateForwards) {
  HEARTH_REQUIRE_SHARED();
  auto m = Model::load(hearth::test::shared_path(std::string("models/") + GetParam()));
  hearth::ThreadPool pool(2);
  const int64_t V = m->n_vocab();
  const std::vector<int32_t> a = {1, 5, 9, 14, 200, 3}, b = {1, 7, 7}, a2 = {42}, b2 = {11, 12};

  // Reference: each sequence alone.
  KvCache ca(m->hparams(), 64), cb(m->hparams(), 64);
  std::vector<float> la, lb, la2, lb2;
  m->forward(ca, a, false, la, &pool);
  m->forward(cb, b, true, lb, &pool);
  m->forward(ca, a2, false, la2, &pool);
  m->forward(cb, b2, false, lb2, &pool);

  // Batched: first step runs both prompts together, second step mixes lengths at other positions.
  KvCache xa(m->hparams(), 64), xb(m->hparams(), 64);
  std::vector<float> out;
  std::vector<Model::SeqBatch> step1 = {{&xa, a, false}, {&xb, b, true}};
  m->forward_batch(step1, out, &pool);
  ASSERT_EQ(out.size(), static_cast<size_t>((1 + b.size()) * V));
  EXPECT_LT(max_abs_diff(out.data(), la.data(), V), 1e-3f);
  EXPECT_LT(max_abs_diff(out.data() + V, lb.data(), V * static_cast<int64_t>(b.size())), 1e-3f);
  std::vector<Model::SeqBatch> step2 = {{&xb, b2, false}, {&xa, a2, false}};
  m->forward_batch(step2, out, &pool);
  ASSERT_EQ(out.size(), static_cast<size_t>(2 * V));
  EXPECT_LT(max_abs_diff(out.data(), lb2.data(), V), 1e-3f);
  EXPECT_LT(max_abs_diff(out.data() + V, la2.data(), V), 1e-3f);
  EXPECT_EQ(xa.size(), 7);
  EXPECT_EQ(xb.size(), 5);
}

INSTANTIATE_TEST_SUITE_P(Models, ForwardBatch,
                         ::testing::Values("stories260K.gguf", "tiny-llama-Q4_0.gguf", "tiny-qwen2-F32.gguf"));

TEST(ForwardBatchErrors, BadSequenceLeavesEveryCacheUntouched) {
  HEARTH_REQUIRE_SHARED();
  auto m = Model::load(hearth::test::shared_path("models/stories260K.gguf"));
  KvCache c1(m->hparams(), 8), c2(m->hparams(), 4);
  std::vector<float> out;
  const std::vector<int32_t> ok = {1, 2, 3}, too_long = {1, 2, 3, 4, 5}, bad_id = {1, 999999};
  std::vector<Model::SeqBatch> full = {{&c1, ok, false}, {&c2, too_long, false}};
  EXPECT_THROW(m->forward_batch(full, out, nullptr), hearth::Error);
  std::vector<Model::SeqBatch> vocab = {{&c1, ok, false}, {&c2, bad_id, false}};
  EXPECT_THROW(m->forward_batch(vocab, out, nullptr), hearth::Error);
  std::vector<Model::SeqBatch> shared = {{&c1, ok, false}, {&c1, ok, false}};
  EXPECT_THROW(m->forward_batch(shared, out, nullptr), hearth::Error);
  EXPECT_EQ(c1.size(), 0);
  EXPECT_EQ(c2.size(), 0);
}

}  // namespace
