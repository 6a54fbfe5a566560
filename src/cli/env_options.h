// What the CLI takes from the environment and hands to the library as options (the library itself
// reads no environment variables besides HEARTH_HOME and HEARTH_LOG):
//   HEARTH_ISA=scalar|avx2|avx2+vnni|avx512|avx512+vnni|avx512+bf16  the kernels to use (one the CPU lacks falls back to the best,
//                                  with a warning)
//   HEARTH_REPACK=0                keep weights in the file's mapping and layout
//   HEARTH_EMBED_URL, _MODEL, _KEY memory embeddings from an OpenAI-compatible endpoint
//   HEARTH_HF_ENDPOINT             where `pull` downloads from (tests use a local server)
//   HEARTH_VULKAN_LOADER           the Vulkan loader library to open (a missing path hides Vulkan)
//   HEARTH_GPU_INTEGER_DOT=0|1     GPU quantized matmuls in float, or through the integer dot product
//                                  wherever the device has it (default: where it is accelerated)
#pragma once
#include <string>

#include "app/memory_embedder.h"
#include "gpu/loader_options.h"
#include "model/model.h"

namespace hearth::cli {

model::LoadOptions load_options_from_env();
// The memory embedder to open for `--embed-model FLAG` (empty: not given).
app::EmbedderChoice embedder_choice(const std::string& flag);
// Where models are downloaded from: $HEARTH_HF_ENDPOINT, default https://huggingface.co.
std::string hf_endpoint_from_env();
gpu::LoaderOptions gpu_loader_from_env();

}  // namespace hearth::cli
