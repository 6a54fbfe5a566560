// The ISA paths a test should run: every tier this CPU has. The ones it lacks are printed once per
// test binary, so a path that was not tested is never dropped silently.
#pragma once
#include <cstdio>
#include <string>
#include <vector>

#include "tensor/dispatch.h"

namespace hearth::test {

inline std::vector<tensor::Isa> isa_paths(bool with_scalar = true) {
  static const bool printed = [] {
    for (tensor::Isa i : tensor::kAllIsas)
      if (!tensor::isa_supported(i))
        std::printf("[isa] path %s not run: this CPU lacks it\n", std::string(tensor::isa_name(i)).c_str());
    return true;
  }();
  (void)printed;
  std::vector<tensor::Isa> v;
  for (tensor::Isa i : tensor::kAllIsas)
    if (tensor::isa_supported(i) && (with_scalar || i != tensor::Isa::scalar)) v.push_back(i);
  return v;
}

}  // namespace hearth::test
