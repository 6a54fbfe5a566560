#include "model/offload.h"

#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstring>

#include "core/error.h"
#include "core/log.h"
#include "gpu/buffer.h"
#include "gpu/context.h"
#include "gpu/kernels.h"
#include "gpu/sequence.h"
#include "model/moe.h"
#include "model/rope.h"
#include "tensor/fp16.h"
#include "tensor/kernels.h"

namespace hearth::model {

using gpu::Buffer;
using tensor::Type;

// A weight on the device: in its file type where a matmul kernel reads it, else dequantized to
// F32 at upload (any type the CPU runs works, at four bytes an element).
struct GpuOffload::DeviceWeight {
  std::unique_ptr<Buffer> buf;
  Type type = Type::F32;
  Type act = Type::F32;  // how the CPU rounds this weight's activations (its dot operand)
  // Q4_1/Q5_1: each 32-element block's minimum (rows x cols/32 floats), which the CPU's dot
  // multiplies by the activations' F16-rounded block sum (round_activations' `sums`).
  std::unique_ptr<Buffer> mins;
  int64_t rows = 0, cols = 0;
  explicit operator bool() const { return buf != nullptr; }
};

struct GpuOffload::Layer {
  bool moe = false;  // experts instead of ffn gate/up/down: on the device when gate_exps is
  DeviceWeight attn_norm, wq, wk, wv, wqkv, bq, bk, bv, q_norm, k_norm, wo, bo, post_attn_norm;
  DeviceWeight ffn_norm, gate, up, gate_up, down, post_ffn_norm, sinks;
  // The stacked experts (each DeviceWeight's rows and cols are one expert's) and their biases.
  DeviceWeight gate_exps, up_exps, down_exps, gate_exps_b, up_exps_b, down_exps_b;
};

// Buffers of one forward pass, grown to the largest batch seen.
struct GpuOffload::Scratch {
  std::unique_ptr<Buffer> x, h, q, k, v, att, gate, up, fused, logits, xq, sums, min_part;
  std::unique_ptr<Buffer> codes, code_scales;  // the integer-dot matmuls' input
  // Experts on the device: the routing (MoeRoutes' arrays), the routed rows, their gate, up and
  // down outputs.
  std::unique_ptr<Buffer> routes, ex_in, ex_gate, ex_up, ex_out;
  std::vector<std::unique_ptr<Buffer>> rope;  // one table per distinct RoPE setting
};

namespace {

constexpr double kMiB = 1024.0 * 1024.0;

std::string mib(uint64_t bytes) {
  char s[32];
  std::snprintf(s, sizeof s, "%.1f MiB", static_cast<double>(bytes) / kMiB);
  return s;
}

// The type a weight has on the device: its own where a matmul kernel reads it (the integer-dot
// ones when the device has the integer dot product), else F32.
Type device_type(Type t, bool integer_dot) {
  const bool native = gpu::Kernels::has_matmul(t) || (integer_dot && gpu::Kernels::has_matmul_quantized(t));
  return native ? t : Type::F32;
}

// Bytes a weight (all of a stack of experts) takes on the device.
uint64_t device_bytes(const Weight& w, bool integer_dot) {
  if (!w) return 0;
  return tensor::row_size(device_type(w.type, integer_dot), w.cols) * static_cast<uint64_t>(w.rows * w.n_expert);
}

// Every weight of a layer the device takes, with where its copy goes: one list for sizing,
// uploading and the Q4_1/Q5_1 scratch; the experts' list is taken when they go too.
struct LayerField {
  Weight LayerWeights::*cpu;
  GpuOffload::DeviceWeight GpuOffload::Layer::*dev;
};
constexpr LayerField kLayerFields[] = {
    {&LayerWeights::attn_norm, &GpuOffload::Layer::attn_norm},
    {&LayerWeights::wq, &GpuOffload::Layer::wq},
    {&LayerWeights::wk, &GpuOffload::Layer::wk},
    {&LayerWeights::wv, &GpuOffload::Layer::wv},
    {&LayerWeights::wqkv, &GpuOffload::Layer::wqkv},
    {&LayerWeights::bq, &GpuOffload::Layer::bq},
    {&LayerWeights::bk, &GpuOffload::Layer::bk},
    {&LayerWeights::bv, &GpuOffload::Layer::bv},
    {&LayerWeights::q_norm, &GpuOffload::Layer::q_norm},
    {&LayerWeights::k_norm, &GpuOffload::Layer::k_norm},
    {&LayerWeights::wo, &GpuOffload::Layer::wo},
    {&LayerWeights::bo, &GpuOffload::Layer::bo},
    {&LayerWeights::post_attn_norm, &GpuOffload::Layer::post_attn_norm},
    {&LayerWeights::ffn_norm, &GpuOffload::Layer::ffn_norm},
    {&LayerWeights::gate, &GpuOffload::Layer::gate},
    {&LayerWeights::up, &GpuOffload::Layer::up},
    {&LayerWeights::gate_up, &GpuOffload::Layer::gate_up},
    {&LayerWeights::down, &GpuOffload::Layer::down},
    {&LayerWeights::post_ffn_norm, &GpuOffload::Layer::post_ffn_norm},
    {&LayerWeights::attn_sinks, &GpuOffload::Layer::sinks},
};

constexpr LayerField kExpertFields[] = {
    {&LayerWeights::gate_exps, &GpuOffload::Layer::gate_exps},
    {&LayerWeights::up_exps, &GpuOffload::Layer::up_exps},
    {&LayerWeights::down_exps, &GpuOffload::Layer::down_exps},
    {&LayerWeights::gate_exps_b, &GpuOffload::Layer::gate_exps_b},
    {&LayerWeights::up_exps_b, &GpuOffload::Layer::up_exps_b},
    {&LayerWeights::down_exps_b, &GpuOffload::Layer::down_exps_b},
};

uint64_t layer_bytes(const LayerWeights& L, bool integer_dot, bool experts) {
  uint64_t b = 0;
  for (const LayerField& f : kLayerFields) b += device_bytes(L.*f.cpu, integer_dot);
  if (experts)
    for (const LayerField& f : kExpertFields) b += device_bytes(L.*f.cpu, integer_dot);
  return b;
}

// Why the experts of the first n layers cannot run on the device ("" when they can): a type
// without a matmul kernel there (as F32 a stack of experts would take four to eight times its
// file size), Q4_1/Q5_1 (their block minimums are not sliced per expert), or a stack larger than
// one buffer the device allows.
std::string experts_stay_on_cpu(const Weights& w, int64_t n, bool integer_dot, const gpu::DeviceInfo& dev) {
  for (int64_t il = 0; il < n; ++il) {
    const LayerWeights& L = w.layers[il];
    for (const Weight* m : {&L.gate_exps, &L.up_exps, &L.down_exps}) {
      if (!*m) continue;
      if (device_type(m->type, integer_dot) != m->type)
        return m->name + " is " + std::string(tensor::type_name(m->type)) + ", which has no matmul kernel on the device";
      const Type act = tensor::kernel_table(tensor::Isa::scalar)[static_cast<uint32_t>(m->type)].vec_dot_type;
      if (act == Type::Q8_1) return m->name + " is " + std::string(tensor::type_name(m->type)) + " (block minimums)";
      const uint64_t bytes = device_bytes(*m, integer_dot);
      if ((dev.max_allocation_bytes && bytes > dev.max_allocation_bytes) ||
          (dev.max_storage_buffer_range && bytes > dev.max_storage_buffer_range))
        return m->name + " (" + mib(bytes) + ") is larger than one buffer " + dev.name + " allows";
    }
  }
  return "";
}

GpuOffload::DeviceWeight upload(gpu::Context& ctx, const Weight& w, bool integer_dot) {
  GpuOffload::DeviceWeight d;
  if (!w) return d;
  if (w.layout != tensor::Layout::rows)
    fail(Errc::internal, w.name + ": the GPU takes weights in the file's layout, this one was repacked");
  const int64_t all_rows = w.rows * w.n_expert;  // a stack of experts goes up as one matrix
  if (w.n_expert > 1 && w.expert_stride != tensor::row_size(w.type, w.cols) * static_cast<size_t>(w.rows))
    fail(Errc::internal, w.name + ": the GPU takes stacked experts back to back, as the file has them");
  d.rows = w.rows;
  d.cols = w.cols;
  d.type = device_type(w.type, integer_dot);
  d.act = tensor::kernel_table(tensor::Isa::scalar)[static_cast<uint32_t>(w.type)].vec_dot_type;
  const uint64_t bytes = device_bytes(w, integer_dot);
  d.buf = std::make_unique<Buffer>(ctx, bytes);
  if (d.type == w.type) {
    d.buf->upload(w.data, bytes);
  } else {
    const tensor::to_float_fn to_float = tensor::kernel_table(tensor::Isa::scalar)[static_cast<uint32_t>(w.type)].to_float;
    if (!to_float) fail(Errc::unsupported, w.name + ": no conversion of " + std::string(tensor::type_name(w.type)) + " to F32");
    // Converted in slices of about 64 MiB: one upload each (a staged upload is a submission),
    // without a host copy of the whole F32 matrix.
    const size_t src_row = tensor::row_size(w.type, w.cols);
    const int64_t step = std::max<int64_t>(1, (int64_t(16) << 20) / w.cols);
    std::vector<float> slice;
    for (int64_t r0 = 0; r0 < all_rows; r0 += step) {
      const int64_t nr = std::min(step, all_rows - r0);
      slice.resize(static_cast<size_t>(nr * w.cols));
      for (int64_t r = 0; r < nr; ++r)
        to_float(static_cast<const uint8_t*>(w.data) + (r0 + r) * src_row, &slice[r * w.cols], w.cols);
      d.buf->upload(slice.data(), slice.size() * sizeof(float), static_cast<size_t>(r0 * w.cols) * sizeof(float));
    }
  }
  if (d.act == Type::Q8_1) {
    // Both Q4_1 and Q5_1 blocks start {f16 d; f16 m; ...}.
    const size_t block = tensor::row_size(w.type, 32);
    const int64_t nb = w.cols / 32;
    std::vector<float> m(static_cast<size_t>(w.rows * nb));
    const auto* src = static_cast<const uint8_t*>(w.data);
    for (int64_t i = 0; i < w.rows * nb; ++i) {
      uint16_t h;
      std::memcpy(&h, src + static_cast<size_t>(i) * block + 2, 2);
      m[i] = tensor::fp16_to_fp32(h);
    }
    d.mins = std::make_unique<Buffer>(ctx, m.size() * sizeof(float));
    d.mins->upload(m.data(), m.size() * sizeof(float));
  }
  return d;
}

// Makes `b` hold at least `bytes` (contents are not kept).
void ensure(gpu::Context& ctx, std::unique_ptr<Buffer>& b, uint64_t bytes) {
  bytes = std::max<uint64_t>(bytes, 4);
  if (!b || b->size() < bytes) {
    b.reset();
    b = std::make_unique<Buffer>(ctx, bytes);
  }
}

// The device half of one cache: a key and a value buffer per offloaded layer.
class DeviceKv final : public KvCacheDevice {
 public:
  DeviceKv(std::shared_ptr<gpu::Context> ctx, uint64_t owner, int64_t layers, const KvCache& c)
      : ctx_(std::move(ctx)), owner_(owner) {
    for (int64_t l = 0; l < layers; ++l) {
      k.emplace_back(*ctx_, c.k_row_bytes() * static_cast<size_t>(c.n_ctx()));
      v.emplace_back(*ctx_, c.v_row_bytes() * static_cast<size_t>(c.n_ctx()));
    }
    k_row = c.k_row_bytes();
    v_row = c.v_row_bytes();
  }
  uint64_t owner() const override { return owner_; }
  int64_t n_layers() const override { return static_cast<int64_t>(k.size()); }
  void download(int64_t layer, int64_t n, uint8_t* kd, uint8_t* vd) const override {
    k[layer].download(kd, static_cast<size_t>(n) * k_row);
    v[layer].download(vd, static_cast<size_t>(n) * v_row);
  }

  // The context outlives the buffers (members are destroyed in reverse order).
 private:
  std::shared_ptr<gpu::Context> ctx_;

 public:
  std::vector<Buffer> k, v;
  size_t k_row = 0, v_row = 0;

 private:
  uint64_t owner_;
};

bool same_rope(const RopeParams& a, const RopeParams& b) {
  return a.base == b.base && a.freq_scale == b.freq_scale && a.attn_factor == b.attn_factor &&
         a.ext_factor == b.ext_factor && a.corr_lo == b.corr_lo && a.corr_hi == b.corr_hi;
}

gpu::Glu glu_of(FfnActivation a) {
  switch (a) {
    case FfnActivation::silu: return gpu::Glu::silu;
    case FfnActivation::gelu_f16: return gpu::Glu::gelu_f16;
    case FfnActivation::swiglu_oai: return gpu::Glu::swiglu_oai;
  }
  return gpu::Glu::silu;
}

// Lays a routing out as gpu::MoeRoutes' four arrays (rows grouped by expert in ascending order,
// so each token's choices come out in ascending expert order too, the order the CPU adds them
// in) and uploads it to `buf`.
gpu::MoeRoutes upload_routes(const MoeRouting& routing, int64_t n, int64_t k, Buffer& buf, std::vector<uint32_t>& host) {
  const int64_t nk = n * k;
  gpu::MoeRoutes r{.tokens = n, .k = k, .source = 0, .expert = nk, .row = 2 * nk, .weight = 3 * nk,
                   .experts = static_cast<int64_t>(routing.by_expert.size())};
  host.assign(static_cast<size_t>(4 * nk), 0);
  std::vector<int64_t> taken(static_cast<size_t>(n), 0);  // choices placed per token
  int64_t row = 0;
  for (size_t e = 0; e < routing.by_expert.size(); ++e)
    for (const auto& [t, weight] : routing.by_expert[e]) {
      if (taken[t] >= k) fail(Errc::internal, "moe routing: token " + std::to_string(t) + " has more than k experts");
      const int64_t at = t * k + taken[t]++;
      host[r.source + row] = static_cast<uint32_t>(t);
      host[r.expert + row] = static_cast<uint32_t>(e);
      host[r.row + at] = static_cast<uint32_t>(row);
      std::memcpy(&host[r.weight + at], &weight, 4);
      ++row;
    }
  if (row != nk) fail(Errc::internal, "moe routing: " + std::to_string(row) + " routed rows, expected " + std::to_string(nk));
  buf.upload(host.data(), host.size() * 4);
  return r;
}

}  // namespace

int64_t parse_gpu_layers(const std::string& value, const std::string& what) {
  if (value == "all") return kGpuLayersAll;
  if (value == "auto") return kGpuLayersAuto;
  int64_t n = 0;
  const char* end = value.data() + value.size();
  const auto [p, ec] = std::from_chars(value.data(), end, n);
  if (value.empty() || ec != std::errc() || p != end || n < 0)
    fail(Errc::invalid_argument, what + ": '" + value + "' is not a layer count, 'all' or 'auto'");
  return n;
}

GpuOffload::~GpuOffload() = default;

std::unique_ptr<GpuOffload> GpuOffload::create(const Weights& w, const HParams& hp, const ArchDef& arch,
                                               const std::vector<LayerConfig>& layer_cfg, const OffloadRequest& request) {
  if (request.layers == 0) return nullptr;
  if (arch.encoder) {
    log::info("GPU offload: " + arch.name + " is an embedding model, which runs on the CPU");
    return nullptr;
  }
  const auto started = std::chrono::steady_clock::now();
  std::unique_ptr<GpuOffload> g(new GpuOffload());
  // A later model may sit at a freed one's address; its caches' device halves must not match.
  static std::atomic<uint64_t> next_id{1};
  g->id_ = next_id++;
  try {
    g->ctx_ = std::make_shared<gpu::Context>(gpu::ContextOptions{.loader = request.loader, .device = request.device});
  } catch (const Error& e) {
    // No loader, driver or usable device: the CPU runs everything, unless a device was named.
    if (request.device >= 0) throw;
    log::warn(std::string("no Vulkan GPU (") + e.what() + "): running on the CPU");
    return nullptr;
  }
  const gpu::DeviceInfo& dev = g->ctx_->info();
  g->kernels_ = std::make_unique<gpu::Kernels>(
      *g->ctx_, gpu::KernelOptions{.subgroups = request.subgroups, .integer_dot = request.integer_dot});
  const bool dot = g->kernels_->uses_integer_dot();
  // What the plan may use: the device's memory, or less when the user says so (--gpu-memory).
  const uint64_t memory = request.memory > 0 && (dev.device_local_bytes == 0 || request.memory < dev.device_local_bytes)
                              ? request.memory
                              : dev.device_local_bytes;
  const std::string memory_name = request.memory > 0 && memory == request.memory
                                      ? "the " + mib(memory) + " of --gpu-memory"
                                      : dev.name + "'s " + mib(memory);

  // The experts of a mixture go with their layers unless told (--cpu-moe) or unable to.
  bool experts = !request.cpu_moe && hp.n_expert > 0;
  if (experts) {
    const std::string why = experts_stay_on_cpu(w, hp.n_layer, dot, dev);
    if (!why.empty()) {
      log::info("GPU offload: the experts stay on the CPU: " + why);
      experts = false;
    }
  }
  int64_t n = request.layers;
  if (n == kGpuLayersAuto) {
    // Weights may take 80% of the device's memory; the rest is left for KV caches and scratch.
    const uint64_t budget = memory / 10 * 8;
    uint64_t used = 0;
    n = 0;
    while (n < hp.n_layer && used + layer_bytes(w.layers[n], dot, experts) <= budget)
      used += layer_bytes(w.layers[n++], dot, experts);
    log::info("-ngl auto: " + std::to_string(n) + " of " + std::to_string(hp.n_layer) + " layers fit in 80% of " +
              memory_name);
    if (n == 0) return nullptr;
  } else if (n == kGpuLayersAll || n > hp.n_layer) {
    n = hp.n_layer;
  }
  const bool output = n == hp.n_layer;

  uint64_t need = 0;
  for (int64_t il = 0; il < n; ++il) need += layer_bytes(w.layers[il], dot, experts);
  if (output) need += device_bytes(w.output, dot) + device_bytes(w.output_norm, dot);
  if (memory > 0 && need > memory)
    fail(Errc::out_of_range, "offloading " + std::to_string(n) + " layers needs " + mib(need) +
                                 " of device memory, more than " + memory_name + ": lower -ngl or use -ngl auto" +
                                 (experts ? " (or --cpu-moe: the experts stay on the CPU)" : ""));
  g->hp_ = hp;
  g->cpu_weights_ = &w;
  g->arch_ = &arch;
  g->cfg_ = layer_cfg;
  g->scratch_ = std::make_unique<Scratch>();
  try {
    gpu::Context& ctx = *g->ctx_;
    for (int64_t il = 0; il < n; ++il) {
      const LayerWeights& L = w.layers[il];
      Layer d;
      d.moe = static_cast<bool>(L.gate_inp);
      for (const LayerField& f : kLayerFields) {
        const DeviceWeight& dw = d.*f.dev = upload(ctx, L.*f.cpu, dot);
        if (dw.mins) g->max_min_rows_ = std::max(g->max_min_rows_, dw.rows);
        if (dw && dot && gpu::Kernels::has_matmul_quantized(dw.type)) g->report_.integer_dot = true;
      }
      if (d.moe && experts)
        for (const LayerField& f : kExpertFields) {
          const DeviceWeight& dw = d.*f.dev = upload(ctx, L.*f.cpu, dot);
          if (dw && dot && gpu::Kernels::has_matmul_quantized(dw.type)) g->report_.integer_dot = true;
        }
      g->layers_.push_back(std::move(d));
    }
    if (output) {
      g->output_norm_ = std::make_unique<DeviceWeight>(upload(ctx, w.output_norm, dot));
      g->output_ = std::make_unique<DeviceWeight>(upload(ctx, w.output, dot));
      if (dot && gpu::Kernels::has_matmul_quantized(g->output_->type)) g->report_.integer_dot = true;
    }
  } catch (const Error& e) {
    if (e.code() != Errc::out_of_range) throw;
    fail(Errc::out_of_range, "offloading " + std::to_string(n) + " layers (" + mib(need) + ") to " + dev.name +
                                 " failed: " + e.what() + "; lower -ngl or use -ngl auto");
  }
  if (g->output_ && g->output_->mins) g->max_min_rows_ = std::max(g->max_min_rows_, g->output_->rows);
  g->report_.device = dev.name;
  g->report_.layers = n;
  g->report_.output = output;
  g->report_.weight_bytes = need;
  g->report_.experts = experts;
  g->report_.memory = memory;
  g->report_.upload_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  log::info("offloaded " + std::to_string(n) + " of " + std::to_string(hp.n_layer) + " layers" +
            (output ? " and the output head" : "") + (experts ? ", experts included," : "") + " to " + dev.name +
            " (" + mib(need) +
            (g->report_.integer_dot ? ", integer dot product" : "") + ")");
  return g;
}

void GpuOffload::attach_caches(const OffloadBatch& b) const {
  for (KvCache* c : b.caches) {
    if (c->device() && c->device()->owner() == id_) continue;
    for (const Type t : {c->types().k, c->types().v})
      if (t != Type::F32 && t != Type::F16)
        fail(Errc::unsupported, "a KV cache of type " + std::string(tensor::type_name(t)) +
                                    " stays on the CPU: with GPU layers use --cache-type-k/-v f32 or f16");
    c->attach_device(std::make_unique<DeviceKv>(ctx_, id_, report_.layers, *c));
  }
  // Rows a snapshot restored on the host go up before the layers read them.
  for (KvCache* c : b.caches) {
    const auto [first, end] = c->host_written();
    if (first >= end) continue;
    auto& dev = static_cast<DeviceKv&>(*c->device());
    for (int64_t l = 0; l < report_.layers; ++l) {
      dev.k[l].upload(c->k_row(l, first), static_cast<size_t>(end - first) * dev.k_row, first * dev.k_row);
      dev.v[l].upload(c->v_row(l, first), static_cast<size_t>(end - first) * dev.v_row, first * dev.v_row);
    }
    c->clear_host_written();
  }
}

void GpuOffload::run(const OffloadBatch& b, std::vector<float>& x, std::vector<float>* logits,
                     const tensor::Kernels& cpu, ThreadPool* pool) const {
  std::lock_guard lock(mutex_);
  attach_caches(b);
  gpu::Context& ctx = *ctx_;
  const gpu::Kernels& K = *kernels_;
  Scratch& s = *scratch_;
  const HParams& hp = hp_;
  const int64_t n = static_cast<int64_t>(b.pos.size());
  const int64_t E = hp.n_embd, QD = hp.q_dim(), KD = hp.k_dim(), VD = hp.v_dim();
  const int64_t AO = hp.n_head * hp.head_dim_v, F = hp.n_ff;
  const auto f4 = [](int64_t v) { return static_cast<uint64_t>(v) * 4; };
  ensure(ctx, s.x, f4(n * E));
  ensure(ctx, s.h, f4(n * E));
  ensure(ctx, s.q, f4(n * QD));
  ensure(ctx, s.k, f4(n * KD));
  ensure(ctx, s.v, f4(n * VD));
  ensure(ctx, s.att, f4(n * AO));
  ensure(ctx, s.gate, f4(n * F));
  ensure(ctx, s.up, f4(n * F));
  ensure(ctx, s.fused, f4(n * std::max(QD + KD + VD, 2 * F)));
  // Experts on the device: each token's k routed rows (grouped by expert) and what they become.
  const int64_t NK = report_.experts ? n * hp.n_expert_used : 0, FX = hp.n_ff_exp;
  if (NK > 0) {
    ensure(ctx, s.routes, f4(4 * NK));
    ensure(ctx, s.ex_in, f4(NK * E));
    ensure(ctx, s.ex_gate, f4(NK * FX));
    ensure(ctx, s.ex_up, f4(NK * FX));
    ensure(ctx, s.ex_out, f4(NK * E));
  }
  // Every matmul's rounded input fits (sized before recording: a buffer replaced mid-sequence
  // would free one a recorded command still names).
  const int64_t max_in = std::max(n * std::max({E, AO, F}), NK * std::max(E, FX));
  ensure(ctx, s.xq, f4(max_in));
  if (report_.integer_dot) {  // some weight takes the integer-dot matmul
    ensure(ctx, s.codes, max_in);
    ensure(ctx, s.code_scales, f4(max_in / 32));
  }
  if (max_min_rows_ > 0) {
    ensure(ctx, s.sums, f4(n * std::max({E, AO, F}) / 32));
    ensure(ctx, s.min_part, f4(n * max_min_rows_));
  }
  s.x->upload(x.data(), f4(n * E));

  // RoPE tables, one per distinct setting among the device's layers (gemma3's local and global
  // layers differ), computed on the CPU exactly as the CPU path does.
  std::vector<int> table_of(static_cast<size_t>(report_.layers), -1);
  std::vector<RopeParams> distinct;
  if (hp.n_rot > 0) {
    std::vector<float> tab, all(static_cast<size_t>(n * hp.n_rot));
    for (int64_t il = 0; il < report_.layers; ++il) {
      const RopeParams& rp = cfg_[il].rope;
      auto it = std::find_if(distinct.begin(), distinct.end(), [&](const RopeParams& d) { return same_rope(d, rp); });
      if (it != distinct.end()) {
        table_of[il] = static_cast<int>(it - distinct.begin());
        continue;
      }
      table_of[il] = static_cast<int>(distinct.size());
      distinct.push_back(rp);
      for (int64_t t = 0; t < n; ++t) {
        RopeParams p = rp;
        p.freq_factors = b.freq_factors[b.seq[t]];
        rope_table(b.pos[t], hp.n_rot, p, tab);
        std::memcpy(&all[t * hp.n_rot], tab.data(), f4(hp.n_rot));
      }
      if (s.rope.size() < distinct.size()) s.rope.emplace_back();
      ensure(ctx, s.rope[distinct.size() - 1], f4(n * hp.n_rot));
      s.rope[distinct.size() - 1]->upload(all.data(), f4(n * hp.n_rot));
    }
  }

  gpu::Sequence seq(ctx);
  std::vector<float> moe_in, moe_out;
  std::vector<uint32_t> routes_host;
  const auto norm = [&](const Buffer& in, const DeviceWeight& wt, const Buffer& out, int64_t dim, int64_t rows) {
    K.rms_norm(seq, in, wt.buf.get(), out, dim, rows, hp.rms_eps);
  };
  // Activations are rounded as the CPU's matmul rounds them (Q8_0/Q8_K codes, BF16), so both
  // paths sum the same products and land within the same tolerance of llama.cpp.
  // `same_input`: the caller promises that nothing wrote `in` since the previous mm, so codes or
  // rounded values made from it then (same type, same count) are used again.
  struct Prepared {
    const Buffer* in = nullptr;
    Type act = Type::F32;
    int64_t count = 0;
    bool codes = false, sums = false;
  } prepared;
  PassStats stats;
  // `rows` rows of `in` go through wt, or with `at`, rows at.col0 .. + m of `in`'s `rows` (all
  // prepared at once) through expert at.w_row0 / wt.rows of a stack.
  const auto mm = [&](const DeviceWeight& wt, const Buffer& in, const Buffer& out, int64_t rows, bool same_input = false,
                      gpu::MatmulSlice at = {}, int64_t m = 0) {
    ++stats.matmuls;
    const int64_t count = rows * wt.cols, cols = m > 0 ? m : rows;
    const bool reusable = same_input && prepared.in == &in && prepared.act == wt.act && prepared.count == count;
    if (K.uses_integer_dot() && gpu::Kernels::has_matmul_quantized(wt.type)) {
      // The activations' codes, dotted in integers as the CPU's dot does.
      if (!(reusable && prepared.codes)) {
        K.quantize_activations(seq, in, *s.codes, *s.code_scales, count, wt.act);
        prepared = {&in, wt.act, count, true, false};
        ++stats.activation_preps;
      }
      K.matmul_quantized(seq, *wt.buf, wt.type, wt.rows, wt.cols, *s.codes, *s.code_scales, out, cols, at);
      return;
    }
    const Buffer* x_in = &in;
    if (wt.act == Type::Q8_0 || wt.act == Type::Q8_1 || wt.act == Type::Q8_K || wt.act == Type::BF16) {
      if (!(reusable && !prepared.codes && (prepared.sums || !wt.mins))) {
        K.round_activations(seq, in, *s.xq, count, wt.act, wt.mins ? s.sums.get() : nullptr);
        prepared = {&in, wt.act, count, false, wt.mins != nullptr};
        ++stats.activation_preps;
      }
      x_in = s.xq.get();
    }
    K.matmul(seq, *wt.buf, wt.type, wt.rows, wt.cols, *x_in, out, cols, at);
    if (wt.mins) {  // (never an expert: experts_stay_on_cpu)
      // + minimum x (F16 block sum - float block sum): the CPU's Q8_1 rounding of the sums.
      K.matmul(seq, *wt.mins, Type::F32, wt.rows, wt.cols / 32, *s.sums, *s.min_part, rows);
      K.add(seq, out, *s.min_part, rows * wt.rows);
    }
  };
  for (int64_t il = 0; il < report_.layers; ++il) {
    const Layer& L = layers_[il];
    norm(*s.x, L.attn_norm, *s.h, E, n);
    if (L.wqkv) {
      mm(L.wqkv, *s.h, *s.fused, n);
      K.copy_cols(seq, *s.fused, QD + KD + VD, 0, *s.q, QD, n, QD);
      K.copy_cols(seq, *s.fused, QD + KD + VD, QD, *s.k, KD, n, KD);
      K.copy_cols(seq, *s.fused, QD + KD + VD, QD + KD, *s.v, VD, n, VD);
    } else {
      mm(L.wq, *s.h, *s.q, n);
      mm(L.wk, *s.h, *s.k, n, true);
      mm(L.wv, *s.h, *s.v, n, true);
    }
    if (L.bq) K.add_bias(seq, *s.q, *L.bq.buf, n, QD);
    if (L.bk) K.add_bias(seq, *s.k, *L.bk.buf, n, KD);
    if (L.bv) K.add_bias(seq, *s.v, *L.bv.buf, n, VD);
    if (L.q_norm) {
      norm(*s.q, L.q_norm, *s.q, hp.head_dim_k, n * hp.n_head);
      norm(*s.k, L.k_norm, *s.k, hp.head_dim_k, n * hp.n_head_kv);
    }
    if (hp.n_rot > 0) {
      const Buffer& tab = *s.rope[table_of[il]];
      const bool neox = arch_->rope == RopeStyle::neox;
      K.rope(seq, *s.q, tab, n, hp.n_head, hp.head_dim_k, hp.n_rot, neox);
      K.rope(seq, *s.k, tab, n, hp.n_head_kv, hp.head_dim_k, hp.n_rot, neox);
    }
    for (size_t sq = 0; sq < b.caches.size(); ++sq) {
      KvCache& c = *b.caches[sq];
      const auto& dev = static_cast<const DeviceKv&>(*c.device());
      const int64_t pos0 = c.size();
      K.kv_store(seq, *s.k, b.row0[sq], dev.k[il], c.types().k, pos0, b.n_tokens[sq], KD);
      K.kv_store(seq, *s.v, b.row0[sq], dev.v[il], c.types().v, pos0, b.n_tokens[sq], VD);
    }
    for (size_t sq = 0; sq < b.caches.size(); ++sq) {
      KvCache& c = *b.caches[sq];
      const auto& dev = static_cast<const DeviceKv&>(*c.device());
      gpu::AttentionShape a;
      a.n_tokens = b.n_tokens[sq];
      a.q_row0 = b.row0[sq];
      a.pos0 = c.size();
      a.n_head = hp.n_head;
      a.n_head_kv = hp.n_head_kv;
      a.head_dim_k = hp.head_dim_k;
      a.head_dim_v = hp.head_dim_v;
      a.window = cfg_[il].window;
      a.scale = 1.0f / std::sqrt(static_cast<float>(hp.head_dim_k));
      a.softcap = hp.attn_softcap;
      a.k_type = c.types().k;
      a.v_type = c.types().v;
      K.attention(seq, *s.q, dev.k[il], dev.v[il], L.sinks.buf.get(), *s.att, a);
    }
    mm(L.wo, *s.att, *s.h, n);
    if (L.bo) K.add_bias(seq, *s.h, *L.bo.buf, n, E);
    if (L.post_attn_norm) norm(*s.h, L.post_attn_norm, *s.h, E, n);
    K.add(seq, *s.x, *s.h, n * E);

    norm(*s.x, L.ffn_norm, *s.h, E, n);
    if (L.moe && L.gate_exps) {
      // Routed on the CPU: what is recorded so far runs, the normed rows come back, the
      // router's choices go up (moe_routes) and the experts run here.
      seq.run();
      moe_in.resize(static_cast<size_t>(n * E));
      s.h->download(moe_in.data(), f4(n * E));
      const MoeRouting routing = moe_route(cpu, cpu_weights_->layers[il], hp, *arch_, moe_in.data(), n, pool);
      const gpu::MoeRoutes r = upload_routes(routing, n, hp.n_expert_used, *s.routes, routes_host);
      K.moe_gather(seq, *s.h, *s.routes, r, *s.ex_in, E);
      // Each chosen expert's rows, a contiguous run of the routed rows, through its slice of the
      // stacks; the first matmul of each sweep prepares the activations of all the runs.
      struct Run {
        int64_t expert, row0, rows;
      };
      std::vector<Run> runs;
      for (int64_t e = 0, row = 0; e < hp.n_expert; ++e)
        if (const int64_t m = static_cast<int64_t>(routing.by_expert[e].size()); m > 0) {
          runs.push_back({e, row, m});
          row += m;
        }
      for (size_t i = 0; i < runs.size(); ++i) {
        const Run& u = runs[i];
        mm(L.gate_exps, *s.ex_in, *s.ex_gate, NK, i > 0, {u.expert * FX, u.row0}, u.rows);
        mm(L.up_exps, *s.ex_in, *s.ex_up, NK, true, {u.expert * FX, u.row0}, u.rows);
      }
      if (L.gate_exps_b) K.moe_add_bias(seq, *s.ex_gate, *L.gate_exps_b.buf, *s.routes, r, FX);
      if (L.up_exps_b) K.moe_add_bias(seq, *s.ex_up, *L.up_exps_b.buf, *s.routes, r, FX);
      K.glu(seq, glu_of(arch_->ffn_act), *s.ex_gate, *s.ex_up, NK * FX);
      for (size_t i = 0; i < runs.size(); ++i) {
        const Run& u = runs[i];
        mm(L.down_exps, *s.ex_gate, *s.ex_out, NK, i > 0, {u.expert * E, u.row0}, u.rows);
      }
      if (L.down_exps_b) K.moe_add_bias(seq, *s.ex_out, *L.down_exps_b.buf, *s.routes, r, E);
      K.moe_combine(seq, *s.ex_out, *s.routes, r, *s.h, E);
    } else if (L.moe) {
      // The experts run on the CPU: what is recorded so far runs, the normed rows come back,
      // the CPU's mixture of experts (in chunks, as the CPU path) goes up as h.
      seq.run();
      moe_in.resize(static_cast<size_t>(n * E));
      moe_out.resize(moe_in.size());
      s.h->download(moe_in.data(), f4(n * E));
      constexpr int64_t kChunk = 256;
      for (int64_t t0 = 0; t0 < n; t0 += kChunk)
        moe_ffn(cpu, cpu_weights_->layers[il], hp, *arch_, &moe_in[t0 * E], std::min(kChunk, n - t0), &moe_out[t0 * E],
                pool);
      s.h->upload(moe_out.data(), f4(n * E));
    } else if (L.gate_up) {
      mm(L.gate_up, *s.h, *s.fused, n);
      K.copy_cols(seq, *s.fused, 2 * F, 0, *s.gate, F, n, F);
      K.copy_cols(seq, *s.fused, 2 * F, F, *s.up, F, n, F);
    } else {
      mm(L.gate, *s.h, *s.gate, n);
      mm(L.up, *s.h, *s.up, n, true);
    }
    if (!L.moe) {
      K.glu(seq, glu_of(arch_->ffn_act), *s.gate, *s.up, n * F);
      mm(L.down, *s.gate, *s.h, n);
    }
    if (L.post_ffn_norm) norm(*s.h, L.post_ffn_norm, *s.h, E, n);
    K.add(seq, *s.x, *s.h, n * E);
  }

  if (report_.output && logits) {
    // The wanted rows, gathered, normed and multiplied by the output matrix on the device.
    const int64_t n_out = static_cast<int64_t>(b.out_rows.size());
    for (int64_t o = 0; o < n_out; ++o)
      seq.copy(*s.x, *s.h, f4(E), f4(b.out_rows[o] * E), f4(o * E));
    norm(*s.h, *output_norm_, *s.h, E, n_out);
    ensure(ctx, s.logits, f4(n_out * hp.n_vocab));
    mm(*output_, *s.h, *s.logits, n_out);
    if (hp.final_softcap > 0) K.softcap(seq, *s.logits, hp.final_softcap, n_out * hp.n_vocab);
    last_pass_ = stats;
    seq.run();
    logits->resize(static_cast<size_t>(n_out * hp.n_vocab));
    s.logits->download(logits->data(), f4(n_out * hp.n_vocab));
    return;
  }
  last_pass_ = stats;
  seq.run();
  s.x->download(x.data(), f4(n * E));
}

GpuOffload::PassStats GpuOffload::last_pass() const {
  std::lock_guard<std::mutex> lk(mutex_);
  return last_pass_;
}

}  // namespace hearth::model
