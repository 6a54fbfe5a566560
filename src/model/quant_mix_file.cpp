#include "model/quant_mix_file.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <mutex>
#include <thread>

#include "core/error.h"
#include "gguf/gguf.h"
#include "model/synth_gguf.h"
#include "tensor/ops.h"

namespace hearth::model {

QuantizeReport quantize_file(const QuantizeOptions& o) {
  if (o.in == o.out) fail(Errc::invalid_argument, "input and output are the same file: " + o.in);
  const gguf::File in = gguf::File::open(o.in);

  // Output order (and the order the mix rules count layers in) is llama.cpp's.
  std::vector<const gguf::TensorInfo*> src_tensors;
  for (const auto& t : in.tensors()) src_tensors.push_back(&t);
  std::stable_sort(src_tensors.begin(), src_tensors.end(),
                   [](const gguf::TensorInfo* a, const gguf::TensorInfo* b) { return llama_cpp_tensor_less(a->name, b->name); });
  std::vector<TensorPlanInput> inputs;
  for (const auto* t : src_tensors) inputs.push_back({t->name, t->dims, t->type});
  MixContext ctx;
  ctx.arch = in.architecture();
  ctx.n_head = in.get_int(ctx.arch + ".attention.head_count", 1);
  ctx.n_head_kv = in.get_int(ctx.arch + ".attention.head_count_kv", ctx.n_head);
  if (ctx.n_head < 1 || ctx.n_head_kv < 1)
    fail(Errc::format, o.in + ": attention.head_count and head_count_kv must be positive");
  const std::vector<tensor::Type> types = plan_types(o.type, inputs, ctx);

  QuantizeReport rep;
  rep.in_bytes = in.file_size();
  std::vector<StreamTensor> stream;
  for (size_t i = 0; i < inputs.size(); ++i) {
    const auto& src = *src_tensors[i];
    if (types[i] != src.type) {
      if (src.type != tensor::Type::F32 && src.type != tensor::Type::F16 && src.type != tensor::Type::BF16)
        fail(Errc::unsupported, o.in + ": tensor '" + src.name + "' is already " +
                                    std::string(tensor::type_name(src.type)) +
                                    "; quantize from an F32, F16 or BF16 file");
      if (src.dims[0] % tensor::traits(types[i]).block_size != 0)
        fail(Errc::internal, "tensor '" + src.name + "': planned type does not fit its rows");
    }
    stream.push_back({src.name, types[i], src.dims});
    rep.tensors.push_back({src.name, src.type, types[i], src.n_elements(), 0.0});
  }

  // Metadata: the input's, with the two keys llama-quantize sets moved to the end (ggml's
  // setter removes a key and appends it).
  std::vector<std::pair<std::string, gguf::Value>> kv = in.metadata();
  auto set = [&](const std::string& key, gguf::Value v) {
    std::erase_if(kv, [&](const auto& e) { return e.first == key; });
    kv.emplace_back(key, std::move(v));
  };
  set("general.quantization_version", gguf::Value::u32(2));
  set("general.file_type", gguf::Value::u32(static_cast<uint32_t>(o.type)));

  GgufStreamWriter w(o.out, kv, std::move(stream));
  auto row_bytes_in = [&](size_t i) { return tensor::row_size(src_tensors[i]->type, src_tensors[i]->dims[0]); };
  auto raw = [&](size_t i, int64_t row0, int64_t nrows, uint8_t* out) {
    if (types[i] != src_tensors[i]->type) return false;
    const size_t rb = row_bytes_in(i);
    std::memcpy(out, src_tensors[i]->data + static_cast<size_t>(row0) * rb, rb * static_cast<size_t>(nrows));
    return true;
  };
  auto produce = [&](size_t i, int64_t row0, int64_t nrows, float* out) {
    const auto& t = *src_tensors[i];
    const size_t rb = row_bytes_in(i);
    const int64_t cols = t.dims[0];
    for (int64_t r = 0; r < nrows; ++r)
      tensor::dequantize_row(t.type, t.data + static_cast<size_t>(row0 + r) * rb, out + r * cols, cols);
  };
  std::mutex mu;
  std::vector<double> sq(inputs.size(), 0.0);
  auto hook = [&](size_t i, int64_t nrows, const float* f32, const uint8_t* enc) {
    const int64_t cols = src_tensors[i]->dims[0];
    const size_t rb = tensor::row_size(types[i], cols);
    std::vector<float> back(static_cast<size_t>(cols));
    double s = 0;
    for (int64_t r = 0; r < nrows; ++r) {
      tensor::dequantize_row(types[i], enc + static_cast<size_t>(r) * rb, back.data(), cols);
      for (int64_t c = 0; c < cols; ++c) {
        const double d = static_cast<double>(back[c]) - f32[r * cols + c];
        s += d * d;
      }
    }
    std::lock_guard<std::mutex> lock(mu);
    sq[i] += s;
  };
  const int threads = o.n_threads > 0 ? o.n_threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  fill_tensors(w, produce, threads, raw, hook);
  rep.out_bytes = w.total_size();
  w.commit();

  double total_sq = 0;
  int64_t total_n = 0;
  for (size_t i = 0; i < rep.tensors.size(); ++i) {
    auto& t = rep.tensors[i];
    if (t.from == t.to) continue;
    t.rmse = std::sqrt(sq[i] / static_cast<double>(t.n_elements));
    total_sq += sq[i];
    total_n += t.n_elements;
  }
  rep.rmse = total_n > 0 ? std::sqrt(total_sq / static_cast<double>(total_n)) : 0.0;
  return rep;
}

}  // namespace hearth::model
