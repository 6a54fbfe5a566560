// -ngl/--gpu-layers and --device: the GPU offload flags of every command that loads a model
// (run, chat, serve, bench, eval, logits). llama.cpp's spelling `-ngl N` works too (main.cpp
// rewrites it, CLI11 names of one dash are one letter).
#pragma once
#include <CLI/CLI.hpp>
#include <string>
#include <vector>

#include "cli/parse_size.h"
#include "model/model.h"

namespace hearth::cli {

struct GpuFlags {
  std::string layers;  // empty: not given (CPU only)
  int device = -1;
  std::string memory;  // --gpu-memory: device memory hearth may use (empty: all of it)
  bool cpu_moe = false;  // --cpu-moe
};

inline void add_gpu_flags(CLI::App& app, GpuFlags& f) {
  app.add_option("--gpu-layers,--n-gpu-layers", f.layers,
                 "Decoder layers to run on a Vulkan GPU (also -ngl): a count (the first N), all, or auto (as many as "
                 "fit); with every layer the output head goes too. Default 0: CPU only");
  app.add_option("--device", f.device, "The GPU to offload to: an index from `hearth devices` (default: the preferred one)")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--gpu-memory", f.memory,
                 "Device memory the offloaded weights may use, e.g. 6G (default: the device's); -ngl auto fits "
                 "layers into 80% of it");
  app.add_flag("--cpu-moe", f.cpu_moe,
               "Keep a mixture-of-experts model's experts on the CPU while their layers' attention runs on the GPU "
               "(as llama.cpp's --cpu-moe): for experts larger than the device's memory");
}

// llama.cpp's -ngl is a long name after one dash, which CLI11 does not take: it becomes
// --gpu-layers (the command line, and a pack's default flags).
inline void rewrite_ngl(std::vector<std::string>& args) {
  for (std::string& a : args)
    if (a == "-ngl") a = "--gpu-layers";
    else if (a.starts_with("-ngl=")) a = "--gpu-layers=" + a.substr(5);
}

// Copies the flags into `load` (Error(invalid_argument) for a bad -ngl value).
inline void apply_gpu_flags(const GpuFlags& f, model::LoadOptions& load) {
  if (!f.layers.empty()) load.gpu_layers = model::parse_gpu_layers(f.layers, "--gpu-layers");
  load.gpu_device = f.device;
  if (!f.memory.empty()) load.gpu_memory = parse_size(f.memory, "--gpu-memory");
  load.gpu_cpu_moe = f.cpu_moe;
  // Naming a device without a layer count means "use it": every layer, as -ngl all.
  if (f.device >= 0 && f.layers.empty()) load.gpu_layers = model::kGpuLayersAll;
}

}  // namespace hearth::cli
