// GPU offload: the first N decoder layers of a model (and its output head when every layer is
// offloaded) run on a Vulkan device, the rest on the CPU. Weights go to the device once, at load;
// each forward pass uploads the batch's hidden states, runs the device's layers in one
// submission and reads back the hidden states (or, with the output head there, the logits).
// The KV cache of an offloaded layer lives on the device (KvCacheDevice in kv_cache.h).
#pragma once
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "gpu/integer_dot.h"
#include "gpu/loader_options.h"
#include "model/arch.h"
#include "model/hparams.h"
#include "model/kv_cache.h"
#include "model/layer_config.h"
#include "model/weights.h"
#include "tensor/dispatch.h"

namespace hearth {
class ThreadPool;
}

namespace hearth::gpu {
class Context;
class Kernels;
}  // namespace hearth::gpu

namespace hearth::model {

// LoadOptions::gpu_layers values besides a count.
constexpr int64_t kGpuLayersAll = -1;   // every layer and the output head
constexpr int64_t kGpuLayersAuto = -2;  // as many layers as fit in the device's memory

// Parses -ngl's value: a count, "all" or "auto". Throws Error(invalid_argument) naming `what`.
int64_t parse_gpu_layers(const std::string& value, const std::string& what);

struct OffloadRequest {
  int64_t layers = 0;  // a count, kGpuLayersAll or kGpuLayersAuto
  int device = -1;  // `hearth devices` index; -1: the preferred device
  gpu::LoaderOptions loader;
  bool subgroups = true;  // KernelOptions::subgroups (tests run both builds)
  gpu::IntegerDot integer_dot = gpu::IntegerDot::automatic;  // KernelOptions::integer_dot
  uint64_t memory = 0;    // bytes of device memory to plan with (0: the device's own)
  bool cpu_moe = false;   // the experts of a mixture stay on the CPU (llama.cpp's --cpu-moe)
};

struct OffloadReport {
  std::string device;        // the device's name
  int64_t layers = 0;        // decoder layers on the device
  bool output = false;       // the output head too
  bool integer_dot = false;  // some matmuls (Q8_0, Q4_0, Q3_K-Q6_K) dot the activations' int8 codes
  bool experts = false;      // a mixture's experts run on the device with their layers
  uint64_t weight_bytes = 0; // uploaded
  uint64_t memory = 0;       // device memory the plan had: the device's, or --gpu-memory's
  double upload_seconds = 0;
};

// One forward pass's batch, as the model lays it out (model.cpp).
struct OffloadBatch {
  std::vector<KvCache*> caches;            // per sequence
  std::vector<int64_t> row0, n_tokens;     // per sequence: first row, rows
  std::vector<const float*> freq_factors;  // per sequence: RoPE frequency factors (or nullptr)
  std::vector<int64_t> pos, seq;           // per row: position, sequence
  std::vector<int64_t> out_rows;           // rows whose logits are wanted, in order
};

class GpuOffload {
 public:
  // Opens the device and uploads the weights of the layers `request` names. Returns nullptr
  // (after one log line saying why) when no Vulkan device is there and none was named, or for
  // an encoder model. A mixture's experts go with their layers unless request.cpu_moe, or a
  // type or size the device cannot take keeps them on the CPU (one log line says which). Throws
  // Error: unsupported for a cache type the device cannot hold, out_of_range when the weights do not fit (with
  // the sizes), invalid_argument for a device index that does not exist.
  static std::unique_ptr<GpuOffload> create(const Weights& w, const HParams& hp, const ArchDef& arch,
                                            const std::vector<LayerConfig>& layer_cfg, const OffloadRequest& request);
  ~GpuOffload();

  const OffloadReport& report() const { return report_; }
  int64_t n_layers() const { return report_.layers; }
  bool has_output() const { return report_.output; }

  // Runs the device's layers over x (rows of n_embd floats, updated in place). With the output
  // head on the device and `logits` given, x is not read back; logits get out_rows' logits.
  // A mixture-of-experts layer routes on the CPU (`cpu`, `pool`) between two submissions (the
  // router's choice comes back, the routing goes up); its experts run on the device, or on the
  // CPU too when report().experts is false.
  void run(const OffloadBatch& batch, std::vector<float>& x, std::vector<float>* logits, const tensor::Kernels& cpu,
           ThreadPool* pool) const;

  // What the last run() recorded: matmuls, and how many times activations were rounded or
  // quantized for them (an input shared by several matmuls, as q/k/v and gate/up share theirs,
  // is prepared once).
  struct PassStats {
    int64_t matmuls = 0;
    int64_t activation_preps = 0;
  };
  PassStats last_pass() const;

  struct DeviceWeight;
  struct Layer;
  struct Scratch;

 private:
  GpuOffload() = default;
  void attach_caches(const OffloadBatch& batch) const;

  HParams hp_;
  uint64_t id_ = 0;  // names this offload in its caches' device halves
  const Weights* cpu_weights_ = nullptr;  // the model's (experts of offloaded layers run from them)
  const ArchDef* arch_ = nullptr;
  std::vector<LayerConfig> cfg_;
  OffloadReport report_;
  // Shared with the device halves of KV caches, which may outlive the model.
  std::shared_ptr<gpu::Context> ctx_;
  std::unique_ptr<gpu::Kernels> kernels_;
  std::vector<Layer> layers_;
  std::unique_ptr<DeviceWeight> output_norm_, output_;
  int64_t max_min_rows_ = 0;  // most rows of a weight with block minimums (Q4_1/Q5_1), 0: none
  mutable std::mutex mutex_;  // one forward pass at a time uses the device
  std::unique_ptr<Scratch> scratch_;
  mutable PassStats last_pass_;  // under mutex_
};

}  // namespace hearth::model
