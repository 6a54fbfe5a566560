// `hearth devices`: what hearth can compute on here: the CPU with its kernel tier and every
// Vulkan device with its memory and shader features. Without Vulkan it says so and succeeds.
#include <cstdio>
#include <fstream>
#include <string>
#include <thread>

#include "cli/command.h"
#include "cli/env_options.h"
#include "core/json.h"
#include "gpu/discovery.h"
#include "tensor/dispatch.h"

namespace hearth::cli {
namespace {

std::string cpu_model_name() {
  std::ifstream in("/proc/cpuinfo");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("model name", 0) != 0) continue;
    const size_t colon = line.find(':');
    if (colon != std::string::npos) return line.substr(line.find_first_not_of(" \t", colon + 1));
  }
  return "unknown CPU";
}

std::string size_text(uint64_t bytes) {
  char buf[32];
  if (bytes >= (1ull << 30)) std::snprintf(buf, sizeof buf, "%.2f GiB", static_cast<double>(bytes) / (1ull << 30));
  else std::snprintf(buf, sizeof buf, "%llu MiB", static_cast<unsigned long long>(bytes >> 20));
  return buf;
}

const char* yes_no(bool b) { return b ? "yes" : "no"; }

void print_device(const gpu::DeviceInfo& d, bool preferred) {
  std::printf("  %d  %s%s\n", d.index, d.name.c_str(), preferred ? "  (default)" : "");
  char vendor[16];
  std::snprintf(vendor, sizeof vendor, "0x%04x", d.vendor_id);
  std::string driver = d.driver_name.empty() ? d.driver_version : d.driver_name + " " + d.driver_version;
  if (!d.driver_info.empty()) driver += ", " + d.driver_info;
  std::printf("     %s, vendor %s, Vulkan %s, driver %s\n", std::string(gpu::device_type_name(d.type)).c_str(), vendor,
              d.api_version.c_str(), driver.c_str());
  if (!d.usable) {
    std::printf("     not usable: %s\n", d.unusable_reason.c_str());
    return;
  }
  std::printf("     memory %s device-local, largest binding %s; subgroup %u (max %u)\n", size_text(d.device_local_bytes).c_str(),
              size_text(d.max_storage_buffer_range).c_str(), d.subgroup_size, d.max_subgroup_size);
  const gpu::DeviceFeatures& f = d.features;
  const char* dot = !f.integer_dot_product ? "no" : f.integer_dot_accelerated ? "yes (accelerated)" : "yes (emulated)";
  std::printf("     fp16 %s, int8 %s, integer dot product %s, cooperative matrix %s, subgroup arithmetic %s\n",
              yes_no(f.fp16), yes_no(f.int8), dot, yes_no(f.cooperative_matrix), yes_no(f.subgroup_arithmetic));
}

int run(bool json_out) {
  const tensor::Isa isa = load_options_from_env().isa;  // honours HEARTH_ISA, as a model load does
  const std::string cpu = cpu_model_name();
  const unsigned threads = std::thread::hardware_concurrency();
  const gpu::Discovery vk = gpu::discover(gpu_loader_from_env());
  const int preferred = gpu::preferred_device(vk.devices);

  if (json_out) {
    json j = {{"cpu", {{"name", cpu}, {"threads", threads}, {"isa", std::string(tensor::isa_name(isa))},
                       {"best_isa", std::string(tensor::isa_name(tensor::best_isa()))}}},
              {"vulkan", gpu::discovery_json(vk)}};
    j["vulkan"]["default_device"] = preferred;
    std::printf("%s\n", j.dump(2).c_str());
    return kExitOk;
  }
  std::printf("CPU  %s, %u threads, kernels %s\n", cpu.c_str(), threads, std::string(tensor::isa_name(isa)).c_str());
  if (!vk.available) {
    std::printf("Vulkan is not available, so hearth runs on the CPU: %s\n", vk.message.c_str());
    return kExitOk;
  }
  std::printf("Vulkan %s (%s), %zu device%s:\n", vk.instance_version.c_str(), vk.loader.c_str(), vk.devices.size(),
              vk.devices.size() == 1 ? "" : "s");
  for (const auto& d : vk.devices) print_device(d, d.index == preferred);
  return kExitOk;
}

}  // namespace

Command devices_command() {
  return {"devices", "List the CPU and the Vulkan devices hearth can compute on", [](CLI::App& app) {
    auto json_out = std::make_shared<bool>(false);
    app.add_flag("--json", *json_out, "Print one JSON object instead of text");
    app.footer("HEARTH_VULKAN_LOADER=PATH opens another Vulkan loader library (a missing one hides Vulkan).");
    return [json_out]() { return run(*json_out); };
  }};
}

}  // namespace hearth::cli
