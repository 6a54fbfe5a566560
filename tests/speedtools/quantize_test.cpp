// `hearth quantize` (model/quant_mix_file) against the shared files llama-quantize made from the
// same F32 model: every type must give the same bytes; the K-quant mixes must also pick the same
// per-tensor types (checked by name, so a mismatch names the tensor) and stay near F32.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <map>
#include <ostream>
#include <string>

#include "core/error.h"
#include "gguf/gguf.h"
#include "model/quant_mix_file.h"
#include "support/shared_data.h"

namespace fs = std::filesystem;
using namespace hearth;

namespace {

struct Case {
  const char* type;    // as `hearth quantize` takes it
  const char* shared;  // suffix of tiny-llama-<X>.gguf
  double max_rmse;     // of all converted weights vs F32
};

void PrintTo(const Case& c, std::ostream* os) { *os << c.type; }

class QuantizeShared : public ::testing::TestWithParam<Case> {};

std::map<std::string, tensor::Type> types_by_name(const gguf::File& f) {
  std::map<std::string, tensor::Type> m;
  for (const auto& t : f.tensors()) m[t.name] = t.type;
  return m;
}

TEST_P(QuantizeShared, SameBytesAndMixAsLlamaQuantize) {
  HEARTH_REQUIRE_SHARED();
  const Case c = GetParam();
  const fs::path dir = test::make_temp_dir("hearth-quantize");
  model::QuantizeOptions o;
  o.in = test::shared_path("models/tiny-llama-F32.gguf").string();
  o.out = (dir / "out.gguf").string();
  o.type = *model::file_type_from_name(c.type);
  o.n_threads = 2;
  const model::QuantizeReport r = model::quantize_file(o);
  const std::string want_path = test::shared_path(std::string("models/tiny-llama-") + c.shared + ".gguf").string();

  // Per-tensor types first: the most useful message when the mix rules drift.
  {
    const gguf::File got = gguf::File::open(o.out), want = gguf::File::open(want_path);
    const auto g = types_by_name(got), w = types_by_name(want);
    ASSERT_EQ(g.size(), w.size());
    for (const auto& [name, type] : w) {
      ASSERT_TRUE(g.count(name)) << name;
      EXPECT_EQ(tensor::type_name(g.at(name)), tensor::type_name(type)) << name;
    }
    // Tensor order is llama-quantize's too (layer number, then name).
    ASSERT_EQ(got.tensors().size(), want.tensors().size());
    for (size_t i = 0; i < got.tensors().size(); ++i) EXPECT_EQ(got.tensors()[i].name, want.tensors()[i].name) << i;
  }
  EXPECT_EQ(test::read_file(o.out), test::read_file(want_path)) << c.type << ": bytes differ from " << want_path;
  EXPECT_EQ(r.out_bytes, fs::file_size(want_path));
  EXPECT_GT(r.rmse, 0.0);
  EXPECT_LT(r.rmse, c.max_rmse) << c.type;
  std::printf("[ rmse     ] %-7s weight RMSE vs F32 %.6f\n", c.type, r.rmse);
  fs::remove_all(dir);
}

// RMSE bounds sit ~1.5x above what these files give (q8_0 0.0012, q6_k 0.0041, q5_k_m 0.0081,
// q5_0 0.0097, q4_k_m 0.016, q4_0 0.019, q3_k_m 0.033, q2_k 0.064), so a broken quantizer fails.
INSTANTIATE_TEST_SUITE_P(Types, QuantizeShared,
                         ::testing::Values(Case{"q8_0", "Q8_0", 0.002}, Case{"q4_0", "Q4_0", 0.03},
                                           Case{"q4_1", "Q4_1", 0.027}, Case{"q5_0", "Q5_0", 0.015},
                                           Case{"q5_1", "Q5_1", 0.013}, Case{"q6_k", "Q6_K", 0.0065},
                                           Case{"q5_k_m", "Q5_K_M", 0.012}, Case{"q4_k_m", "Q4_K_M", 0.024},
                                           Case{"q3_k_m", "Q3_K_M", 0.05}, Case{"q2_k", "Q2_K", 0.095},
                                           Case{"iq4_nl", "IQ4_NL", 0.03}, Case{"iq4_xs", "IQ4_XS", 0.03},
                                           Case{"f16", "F16", 1e-4}, Case{"bf16", "BF16", 6e-4}),
                         [](const auto& info) { return std::string(info.param.type); });

TEST(Quantize, Qwen2TiedMixesMatchLlamaQuantize) {
  HEARTH_REQUIRE_SHARED();
  const fs::path dir = test::make_temp_dir("hearth-quantize");
  for (const auto& [type, suffix] : {std::pair{"q8_0", "Q8_0"}, std::pair{"q4_k_m", "Q4_K_M"}}) {
    model::QuantizeOptions o;
    o.in = test::shared_path("models/tiny-qwen2-F32.gguf").string();
    o.out = (dir / (std::string(type) + ".gguf")).string();
    o.type = *model::file_type_from_name(type);
    model::quantize_file(o);
    EXPECT_EQ(test::read_file(o.out), test::read_file(test::shared_path(std::string("models/tiny-qwen2-") + suffix + ".gguf")))
        << type;
  }
  fs::remove_all(dir);
}

TEST(Quantize, RefusesAlreadyQuantizedInput) {
  HEARTH_REQUIRE_SHARED();
  const fs::path dir = test::make_temp_dir("hearth-quantize");
  model::QuantizeOptions o;
  o.in = test::shared_path("models/tiny-llama-Q4_0.gguf").string();
  o.out = (dir / "out.gguf").string();
  o.type = model::FileType::Q8_0;
  try {
    model::quantize_file(o);
    FAIL() << "quantized a quantized file";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Errc::unsupported);
    EXPECT_NE(std::string(e.what()).find("already"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(fs::exists(o.out));
  fs::remove_all(dir);
}

TEST(Quantize, MissingInputAndSameFileAreErrors) {
  const fs::path dir = test::make_temp_dir("hearth-quantize");
  model::QuantizeOptions o;
  o.in = (dir / "absent.gguf").string();
  o.out = (dir / "out.gguf").string();
  EXPECT_THROW(model::quantize_file(o), Error);
  o.out = o.in;
  EXPECT_THROW(model::quantize_file(o), Error);
  fs::remove_all(dir);
}

}  // namespace
