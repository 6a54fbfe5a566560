// Per-layer configuration (model/layer_config): which layers slide, and which RoPE each uses.
#include <gtest/gtest.h>

#include "model/arch.h"
#include "model/layer_config.h"

using namespace hearth::model;

namespace {

HParams hparams(int64_t n_layer) {
  HParams h;
  h.n_layer = n_layer;
  h.n_rot = 64;
  h.n_swa = 512;
  h.rope_base = 1000000.0f;
  h.n_ctx_train = 131072;
  return h;
}

TEST(LayerConfig, DenseArchitecturesAttendGloballyWithTheFilesRope) {
  const auto cfg = layer_configs(*find_arch("llama"), hparams(3));
  ASSERT_EQ(cfg.size(), 3u);
  for (const auto& c : cfg) {
    EXPECT_EQ(c.window, 0);
    EXPECT_EQ(c.rope.base, 1000000.0f);
    EXPECT_EQ(c.rope.ext_factor, 0.0f);
  }
}

TEST(LayerConfig, Gemma2AndGptOssSlideOnEvenLayers) {
  for (const char* name : {"gemma2", "gpt-oss"}) {
    const ArchDef* a = find_arch(name);
    ASSERT_NE(a, nullptr) << name;
    const auto cfg = layer_configs(*a, hparams(4));
    EXPECT_EQ(cfg[0].window, 512) << name;
    EXPECT_EQ(cfg[1].window, 0) << name;
    EXPECT_EQ(cfg[2].window, 512) << name;
    EXPECT_EQ(cfg[3].window, 0) << name;
  }
}

TEST(LayerConfig, Gemma3LocalLayersKeepTheirOwnUnscaledRope) {
  HParams h = hparams(12);
  h.rope_freq_scale = 0.125f;  // yarn, factor 8
  h.rope_yarn = true;
  h.n_ctx_orig = 8192;
  const auto cfg = layer_configs(*find_arch("gemma3"), h);
  for (int64_t il = 0; il < 12; ++il) {
    const bool global = (il + 1) % 6 == 0;
    SCOPED_TRACE(il);
    EXPECT_EQ(cfg[il].window, global ? 0 : 512);
    EXPECT_EQ(cfg[il].rope.base, global ? 1000000.0f : 10000.0f);
    EXPECT_EQ(cfg[il].rope.freq_scale, global ? 0.125f : 1.0f);
    EXPECT_EQ(cfg[il].rope.ext_factor, global ? 1.0f : 0.0f);
    if (global) EXPECT_LT(cfg[il].rope.corr_lo, cfg[il].rope.corr_hi);
  }
}

}  // namespace
