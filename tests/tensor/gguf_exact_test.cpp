// The tiny-llama files were quantized by llama.cpp from tiny-llama-F32.gguf, so re-quantizing
// the F32 tensors must give the stored bytes exactly, and dequantizing must land near the F32.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "gguf/gguf.h"
#include "support/shared_data.h"
#include "tensor/ops.h"

namespace {
using namespace hearth;
using tensor::Type;

struct Compared {
  int tensors = 0;
  int64_t rows = 0;
};

// Re-quantizes every tensor of `type` in `file` from the F32 file; counts what was compared.
Compared expect_requantized_bytes_equal(const gguf::File& f32, const gguf::File& q, Type type) {
  Compared c;
  for (const auto& t : q.tensors()) {
    if (t.type != type) continue;
    const gguf::TensorInfo& src = f32.require_tensor(t.name);
    EXPECT_EQ(src.type, Type::F32) << t.name;
    const int64_t cols = t.dims[0], rows = t.rows();
    const size_t rs = tensor::row_size(type, cols);
    std::vector<uint8_t> out(rs);
    const auto* x = reinterpret_cast<const float*>(src.data);
    for (int64_t r = 0; r < rows; ++r) {
      tensor::quantize_row(type, x + r * cols, out.data(), cols);
      if (std::memcmp(out.data(), t.data + r * rs, rs) != 0) {
        ADD_FAILURE() << q.name() << ": " << t.name << " row " << r << " differs from llama.cpp's bytes";
        return c;
      }
    }
    ++c.tensors;
    c.rows += rows;
  }
  return c;
}

class RequantizeExact : public ::testing::TestWithParam<std::pair<std::string, Type>> {};

TEST_P(RequantizeExact, MatchesLlamaCppBytes) {
  HEARTH_REQUIRE_SHARED();
  const auto f32 = gguf::File::open(test::shared_path("models/tiny-llama-F32.gguf").string());
  const auto q = gguf::File::open(test::shared_path("models/" + GetParam().first).string());
  const Compared c = expect_requantized_bytes_equal(f32, q, GetParam().second);
  EXPECT_GT(c.tensors, 0) << "no tensor of that type in " << GetParam().first;
}

INSTANTIATE_TEST_SUITE_P(
    TinyLlama, RequantizeExact,
    ::testing::Values(std::pair<std::string, Type>{"tiny-llama-Q4_0.gguf", Type::Q4_0},
                      std::pair<std::string, Type>{"tiny-llama-Q4_1.gguf", Type::Q4_1},
                      std::pair<std::string, Type>{"tiny-llama-Q5_0.gguf", Type::Q5_0},
                      std::pair<std::string, Type>{"tiny-llama-Q5_1.gguf", Type::Q5_1},
                      std::pair<std::string, Type>{"tiny-llama-Q8_0.gguf", Type::Q8_0},
                      std::pair<std::string, Type>{"tiny-llama-F16.gguf", Type::F16},
                      std::pair<std::string, Type>{"tiny-llama-BF16.gguf", Type::BF16},
                      std::pair<std::string, Type>{"tiny-llama-Q2_K.gguf", Type::Q2_K},
                      std::pair<std::string, Type>{"tiny-llama-Q3_K_M.gguf", Type::Q3_K},
                      std::pair<std::string, Type>{"tiny-llama-Q4_K_M.gguf", Type::Q4_K},
                      std::pair<std::string, Type>{"tiny-llama-Q5_K_M.gguf", Type::Q5_K},
                      std::pair<std::string, Type>{"tiny-llama-Q6_K.gguf", Type::Q6_K},
                      std::pair<std::string, Type>{"tiny-llama-Q4_0.gguf", Type::Q6_K}),
    [](const auto& info) {
      std::string s = info.param.first.substr(11);
      return s.substr(0, s.find('.')) + "_" + std::string(tensor::type_name(info.param.second));
    });

// Relative RMSE of every dequantized tensor of each type in `file` against the F32 original.
// Bounds sit ~1.5x above what these (uniform random) weights give; a wrong bit layout gives ~1.
struct RmseCase {
  std::string file;
  Type type;
  double max_rel_rmse;
};

class DequantizeNearF32 : public ::testing::TestWithParam<RmseCase> {};

TEST_P(DequantizeNearF32, RelativeRmseWithinBound) {
  HEARTH_REQUIRE_SHARED();
  const RmseCase& p = GetParam();
  const auto f32 = gguf::File::open(test::shared_path("models/tiny-llama-F32.gguf").string());
  const auto q = gguf::File::open(test::shared_path("models/" + p.file).string());
  int seen = 0;
  double worst = 0;
  for (const auto& t : q.tensors()) {
    if (t.type != p.type) continue;
    const auto& src = f32.require_tensor(t.name);
    const int64_t cols = t.dims[0], rows = t.rows();
    const auto* x = reinterpret_cast<const float*>(src.data);
    std::vector<float> y(cols);
    double err = 0, ref = 0;
    for (int64_t r = 0; r < rows; ++r) {
      tensor::dequantize_row(p.type, t.data + r * tensor::row_size(p.type, cols), y.data(), cols);
      for (int64_t j = 0; j < cols; ++j) {
        const double e = static_cast<double>(y[j]) - x[r * cols + j];
        err += e * e;
        ref += static_cast<double>(x[r * cols + j]) * x[r * cols + j];
      }
    }
    const double rel = std::sqrt(err / ref);
    EXPECT_LT(rel, p.max_rel_rmse) << p.file << ": " << t.name;
    worst = std::max(worst, rel);
    ++seen;
  }
  EXPECT_GT(seen, 0) << "no tensor of type " << tensor::type_name(p.type) << " in " << p.file;
  RecordProperty("worst_rel_rmse", std::to_string(worst));
}

INSTANTIATE_TEST_SUITE_P(
    TinyLlama, DequantizeNearF32,
    ::testing::Values(RmseCase{"tiny-llama-Q2_K.gguf", Type::Q2_K, 0.45},
                      RmseCase{"tiny-llama-Q3_K_M.gguf", Type::Q3_K, 0.23},
                      RmseCase{"tiny-llama-Q4_K_M.gguf", Type::Q4_K, 0.11},
                      RmseCase{"tiny-llama-Q5_K_M.gguf", Type::Q5_K, 0.055},
                      RmseCase{"tiny-llama-Q6_K.gguf", Type::Q6_K, 0.027},
                      RmseCase{"tiny-llama-Q4_0.gguf", Type::Q4_0, 0.13},
                      RmseCase{"tiny-llama-Q4_1.gguf", Type::Q4_1, 0.12},
                      RmseCase{"tiny-llama-Q5_0.gguf", Type::Q5_0, 0.065},
                      RmseCase{"tiny-llama-Q5_1.gguf", Type::Q5_1, 0.057},
                      RmseCase{"tiny-llama-Q8_0.gguf", Type::Q8_0, 0.008}),
    [](const auto& info) { return std::string(tensor::type_name(info.param.type)); });

}  // namespace
