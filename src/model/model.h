// A decoder-only transformer loaded from a GGUF file. Weights stay in the file's memory map,
// except those rewritten at load into the faster layout of the kernels the model runs on.
#pragma once
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "gguf/gguf.h"
#include "model/arch.h"
#include "model/encoder.h"
#include "model/hparams.h"
#include "model/kv_cache.h"
#include "model/layer_config.h"
#include "model/offload.h"
#include "model/weights.h"
#include "tensor/dispatch.h"

namespace hearth {
class ThreadPool;
}

namespace hearth::model {

// How a model is prepared for computation; the front end fills it (from flags and environment).
struct LoadOptions {
  tensor::Isa isa = tensor::best_isa();  // kernels every forward pass of this model uses
  bool repack = true;  // rewrite weights into the kernels' interleaved layout where it pays
  // GPU offload (offload.h, docs/gpu.md): layers to run on a Vulkan device (-ngl: a count,
  // kGpuLayersAll, kGpuLayersAuto; 0: none) and which device (`hearth devices` index, -1:
  // the preferred one) through which loader.
  int64_t gpu_layers = 0;
  int gpu_device = -1;
  uint64_t gpu_memory = 0;  // device memory the offload may use (0: all the device has)
  gpu::LoaderOptions gpu_loader;
  bool gpu_subgroups = true;  // false: the plain shader builds (tests)
  gpu::IntegerDot gpu_integer_dot = gpu::IntegerDot::automatic;  // HEARTH_GPU_INTEGER_DOT=0/1: off/on
  bool gpu_cpu_moe = false;  // --cpu-moe: a mixture's experts stay on the CPU
};

class Model {
 public:
  // Opens and validates `path`. Throws Error(not_found|format|unsupported) naming the file and,
  // for unsupported architectures or tensor types, what is unsupported.
  static std::shared_ptr<Model> load(const std::string& path, const LoadOptions& opts = {});
  // Builds a model over an already parsed file (the model keeps it alive).
  static std::shared_ptr<Model> from_file(std::shared_ptr<const gguf::File> file, const LoadOptions& opts = {});

  const HParams& hparams() const { return hp_; }
  const ArchDef& arch() const { return *arch_; }
  const gguf::File& file() const { return *file_; }
  std::shared_ptr<const gguf::File> file_ptr() const { return file_; }
  int64_t n_vocab() const { return hp_.n_vocab; }
  const Weights& weights() const { return w_; }
  const tensor::Kernels& kernels() const { return *kernels_; }
  // What runs on a GPU (nullptr: everything on the CPU).
  const OffloadReport* offload() const { return gpu_ ? &gpu_->report() : nullptr; }
  const GpuOffload* gpu_offload() const { return gpu_.get(); }

  // The default context: the trained context length capped at 4096.
  int64_t default_n_ctx() const;

  // Runs `tokens` at positions cache.size() .. cache.size()+n-1 in one batch, appending their
  // keys and values to `cache`. Writes logits for every token (n * n_vocab floats) when
  // all_logits, else for the last token only (n_vocab floats). Throws Error(out_of_range) when
  // the batch does not fit in the cache and Error(invalid_argument) for a token id outside the
  // vocabulary; the cache is unchanged then.
  void forward(KvCache& cache, std::span<const int32_t> tokens, bool all_logits, std::vector<float>& logits,
               ThreadPool* pool) const;

  // One sequence's share of a batched step.
  struct SeqBatch {
    KvCache* cache = nullptr;
    std::span<const int32_t> tokens;
    bool all_logits = false;  // logits for every token, else for the last one only
  };
  // Continuous batching: runs several sequences' new tokens in one pass. Every weight matrix is
  // streamed once for all rows together; attention runs per sequence against its own cache.
  // `logits` receives each sequence's logits in order (n_i or 1 rows of n_vocab). All inputs are
  // validated before anything runs: on error no cache changes. The caches must be distinct.
  // With hidden = true the rows are the final-normed hidden states (n_embd floats each) instead
  // of logits: the input of embeddings. Encoder models (arch().encoder) only have hidden states:
  // every token's, their caches untouched; asking them for logits is Error(unsupported).
  void forward_batch(std::span<const SeqBatch> seqs, std::vector<float>& logits, ThreadPool* pool,
                     bool hidden = false) const;

 private:
  Model() = default;
  std::shared_ptr<const gguf::File> file_;
  const ArchDef* arch_ = nullptr;
  const tensor::Kernels* kernels_ = nullptr;
  HParams hp_;
  Weights w_;
  std::vector<LayerConfig> layer_cfg_;   // per decoder layer: window, RoPE
  std::unique_ptr<EncoderWeights> enc_;  // encoders (bert): used instead of w_
  std::vector<OwnedBytes> arena_;        // the weights' arena (place_weights)
  std::shared_ptr<GpuOffload> gpu_;      // the first layers on a GPU (nullptr: none)
};

}  // namespace hearth::model
