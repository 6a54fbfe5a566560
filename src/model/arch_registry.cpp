#include "model/arch.h"

namespace hearth::model {
namespace {

// The registration list: one line per architecture.
const ArchDef* const kArchs[] = {
    &arch_llama(),
    &arch_qwen2(),
    &arch_qwen3(),
    &arch_phi3(),
    &arch_qwen3moe(),
    &arch_gemma2(),
    &arch_gemma3(),
    &arch_gpt_oss(),
    &arch_bert(),
    &arch_nomic_bert(),
};

}  // namespace

const ArchDef* find_arch(const std::string& arch) {
  for (const ArchDef* a : kArchs)
    if (a->name == arch) return a;
  return nullptr;
}

std::vector<std::string> arch_names() {
  std::vector<std::string> out;
  for (const ArchDef* a : kArchs) out.push_back(a->name);
  return out;
}

}  // namespace hearth::model
