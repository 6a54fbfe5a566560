#include "cli/env_options.h"

#include <cstdlib>

#include "core/log.h"
#include "hub/catalog.h"

namespace hearth::cli {
namespace {

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

}  // namespace

model::LoadOptions load_options_from_env() {
  model::LoadOptions o;
  std::string warning;
  o.isa = tensor::choose_isa(env("HEARTH_ISA"), &warning);
  if (!warning.empty()) log::warn("HEARTH_ISA: " + warning);
  o.repack = env("HEARTH_REPACK") != "0";
  o.gpu_loader = gpu_loader_from_env();
  const std::string dot = env("HEARTH_GPU_INTEGER_DOT");
  o.gpu_integer_dot = dot == "0" ? gpu::IntegerDot::off : dot == "1" ? gpu::IntegerDot::on : gpu::IntegerDot::automatic;
  return o;
}

std::string hf_endpoint_from_env() {
  const std::string v = env("HEARTH_HF_ENDPOINT");
  return v.empty() ? hub::kHuggingFace : v;
}

gpu::LoaderOptions gpu_loader_from_env() {
  gpu::LoaderOptions o;
  o.path = env("HEARTH_VULKAN_LOADER");
  return o;
}

app::EmbedderChoice embedder_choice(const std::string& flag) {
  app::EmbedderChoice c;
  c.flag = flag;
  c.endpoint_url = env("HEARTH_EMBED_URL");
  c.endpoint_model = env("HEARTH_EMBED_MODEL");
  c.endpoint_key = env("HEARTH_EMBED_KEY");
  c.load = load_options_from_env();
  return c;
}

}  // namespace hearth::cli
