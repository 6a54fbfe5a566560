// Run-time kernel selection. The CPU is probed once (CPUID + XGETBV, so an OS that does not save
// AVX state is respected). Nothing here is mutable: whoever runs kernels picks a path (usually
// best_isa(), or what the user asked for through choose_isa) and passes its Kernels down
// explicitly, so two models in one process may use different paths.
#pragma once
#include <string_view>

#include "tensor/kernels.h"

namespace hearth::tensor {

// Tiers from plainest to widest. avx2vnni ("avx2+vnni") is AVX2 plus AVX-VNNI (256-bit vpdpbusd:
// Intel client chips since Alder Lake, Zen 5); it changes only the integer GEMM kernels. The
// AVX-512 tiers: avx512 (F/BW/VL/DQ: Skylake-X/SP), avx512vnni ("avx512+vnni": + VNNI, Cascade
// Lake, Ice Lake, Tiger Lake) and avx512bf16 ("avx512+bf16": + BF16, Zen 4/5, Cooper Lake,
// Sapphire Rapids and later).
enum class Isa { scalar = 0, avx2 = 1, avx2vnni = 2, avx512 = 3, avx512vnni = 4, avx512bf16 = 5 };
inline constexpr Isa kAllIsas[] = {Isa::scalar, Isa::avx2, Isa::avx2vnni, Isa::avx512, Isa::avx512vnni, Isa::avx512bf16};

struct CpuFeatures {
  bool avx2 = false, fma = false, f16c = false, bmi2 = false, avxvnni = false;
  bool avx512f = false, avx512bw = false, avx512vl = false, avx512dq = false;
  bool avx512vnni = false, avx512bf16 = false;
};

const CpuFeatures& cpu_features();
std::string_view isa_name(Isa isa);
bool isa_supported(Isa isa);  // the CPU (and OS) can run this path
Isa best_isa();               // best supported path

// The path a user asked for by name (isa_name of a tier, e.g. "avx2+vnni"; empty means best). A name that
// is unknown or that the CPU cannot run falls back to the best path and says why in `warning`.
Isa choose_isa(std::string_view requested, std::string* warning = nullptr);

// Kernel tables for a path. Throw unsupported if the CPU lacks it.
const KernelTable& kernel_table(Isa isa);
const VecKernels& vec_kernels(Isa isa);

// Everything a computation needs to know about its ISA path, passed by reference to the ops.
struct Kernels {
  Isa isa;
  const KernelTable& table;
  const VecKernels& vec;
};
// The kernels of `isa` (throws unsupported if the CPU lacks it); the object lives forever.
const Kernels& kernels_for(Isa isa);

}  // namespace hearth::tensor
