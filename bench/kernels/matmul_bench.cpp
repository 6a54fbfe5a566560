// matmul throughput at the llama-3.2-1b shapes. Arguments: weight type, ISA path, rows, cols, n
// (n = 1 is generation, n = 512 prompt processing). Counters: GB/s of weights streamed (useful
// for n = 1) and tokens/s for this one matrix (useful for n = 512).
//   bench_kernels --benchmark_filter='matmul/Q4_0/avx512/2048/2048/1$'
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "core/thread_pool.h"
#include "tensor/dispatch.h"
#include "tensor/ops.h"

namespace {

using hearth::tensor::Isa;
using hearth::tensor::Type;

int bench_threads() {
  const char* t = std::getenv("HEARTH_BENCH_THREADS");
  return t ? std::atoi(t) : 2;
}

hearth::ThreadPool& pool() {
  static hearth::ThreadPool p(bench_threads());
  return p;
}

// One quantized weight per (type, shape), built once: quantizing 128256x2048 is slow.
const std::vector<uint8_t>& weight(Type type, int64_t rows, int64_t cols) {
  static std::vector<std::pair<std::string, std::unique_ptr<std::vector<uint8_t>>>> cache;
  const std::string key = std::string(hearth::tensor::type_name(type)) + "/" + std::to_string(rows) + "x" +
                          std::to_string(cols);
  for (auto& [k, v] : cache)
    if (k == key) return *v;
  std::mt19937 rng(42);
  std::normal_distribution<float> nd(0.0f, 0.02f);
  std::vector<float> row(static_cast<size_t>(cols));
  const size_t rs = hearth::tensor::row_size(type, cols);
  auto w = std::make_unique<std::vector<uint8_t>>(rs * static_cast<size_t>(rows));
  // Quantize a few distinct rows and repeat them: the kernel cost does not depend on values.
  constexpr int64_t kDistinct = 64;
  for (int64_t r = 0; r < rows; ++r) {
    if (r < kDistinct) {
      for (auto& v : row) v = nd(rng);
      hearth::tensor::quantize_row(type, row.data(), w->data() + r * rs, cols);
    } else {
      std::copy_n(w->data() + (r % kDistinct) * rs, rs, w->data() + r * rs);
    }
  }
  cache.emplace_back(key, std::move(w));
  return *cache.back().second;
}

void BM_matmul(benchmark::State& st, Type type, Isa isa, int64_t rows, int64_t cols, int64_t n) {
  if (!hearth::tensor::isa_supported(isa)) {
    st.SkipWithError("ISA not supported");
    return;
  }
  const auto& w = weight(type, rows, cols);
  std::mt19937 rng(7);
  std::normal_distribution<float> nd(0.0f, 1.0f);
  std::vector<float> x(static_cast<size_t>(n * cols)), y(static_cast<size_t>(n * rows));
  for (auto& v : x) v = nd(rng);
  for (auto _ : st) {
    hearth::tensor::matmul(hearth::tensor::kernels_for(isa), w.data(), type, rows, cols, x.data(), n, y.data(), &pool());
    benchmark::DoNotOptimize(y.data());
  }
  st.counters["GB/s"] = benchmark::Counter(static_cast<double>(w.size()), benchmark::Counter::kIsIterationInvariantRate);
  st.counters["tok/s"] = benchmark::Counter(static_cast<double>(n), benchmark::Counter::kIsIterationInvariantRate);
  st.counters["GMAC/s"] =
      benchmark::Counter(static_cast<double>(rows * cols * n) * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
}

struct Shape {
  int64_t rows, cols;
};

int register_all() {
  const Type types[] = {Type::F16, Type::Q8_0, Type::Q4_0, Type::Q4_K, Type::Q6_K};
  const auto& isas = kAllIsas;
  const Shape shapes[] = {{2048, 2048}, {512, 2048}, {8192, 2048}, {2048, 8192}, {128256, 2048}};
  for (Type t : types)
    for (Isa isa : isas)
      for (const Shape& s : shapes)
        for (int64_t n : {int64_t(1), int64_t(512)}) {
          // The scalar path at n = 512 takes minutes per matrix; skip it and the vocab GEMM.
          if (isa == Isa::scalar && n > 1) continue;
          if (n > 1 && s.rows > 8192) continue;
          const std::string name = "matmul/" + std::string(hearth::tensor::type_name(t)) + "/" +
                                   std::string(hearth::tensor::isa_name(isa)) + "/" + std::to_string(s.rows) + "/" +
                                   std::to_string(s.cols) + "/" + std::to_string(n);
          benchmark::RegisterBenchmark(name.c_str(), BM_matmul, t, isa, s.rows, s.cols, n)
              ->Unit(benchmark::kMillisecond)
              ->UseRealTime()
              ->MinTime(0.3);
        }
  return 0;
}

const int registered = register_all();

}  // namespace
