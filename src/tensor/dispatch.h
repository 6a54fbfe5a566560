// Run-time kernel selection. At first use the CPU is probed (CPUID + XGETBV, so an OS that does
// not save AVX state is respected) and the best supported path is chosen; HEARTH_ISA=scalar|avx2|
// avx512 forces a path (a path the CPU lacks falls back to the best one it has, with a warning).
#pragma once
#include <string_view>

#include "tensor/kernels.h"

namespace hearth::tensor {

enum class Isa { scalar = 0, avx2 = 1, avx512 = 2 };

struct CpuFeatures {
  bool avx2 = false, fma = false, f16c = false, bmi2 = false;
  bool avx512f = false, avx512bw = false, avx512vl = false, avx512dq = false;
  bool avx512vnni = false, avx512bf16 = false;
};

const CpuFeatures& cpu_features();
std::string_view isa_name(Isa isa);
bool isa_supported(Isa isa);  // the CPU (and OS) can run this path
Isa best_isa();               // best supported path
Isa active_isa();             // path the ops use (HEARTH_ISA or best)
// Switches the path the ops use (tests compare paths). Throws unsupported if the CPU lacks it.
void set_active_isa(Isa isa);

// Kernel table for a path (must be supported) and for the active path.
const KernelTable& kernel_table(Isa isa);
const KernelTable& active_kernels();
const VecKernels& vec_kernels(Isa isa);
const VecKernels& active_vec_kernels();

}  // namespace hearth::tensor
