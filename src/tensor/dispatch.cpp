#include "tensor/dispatch.h"

#include <algorithm>
#include <iterator>
#include <string>

#include "core/error.h"

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

namespace hearth::tensor {
namespace {

CpuFeatures detect() {
  CpuFeatures f;
#if defined(__x86_64__) || defined(__i386__)
  unsigned a = 0, b = 0, c = 0, d = 0;
  if (!__get_cpuid(0, &a, &b, &c, &d)) return f;
  const unsigned max_leaf = a;
  if (!__get_cpuid(1, &a, &b, &c, &d)) return f;
  const bool osxsave = c & (1u << 27), avx = c & (1u << 28);
  const bool fma = c & (1u << 12), f16c = c & (1u << 29);
  if (!osxsave || !avx) return f;
  // XCR0 says which register states the OS saves on context switch.
  unsigned xlo = 0, xhi = 0;
  __asm__ volatile("xgetbv" : "=a"(xlo), "=d"(xhi) : "c"(0));
  const bool ymm_ok = (xlo & 0x6u) == 0x6u;
  const bool zmm_ok = ymm_ok && (xlo & 0xe0u) == 0xe0u;
  if (!ymm_ok || max_leaf < 7) return f;
  __cpuid_count(7, 0, a, b, c, d);
  f.avx2 = b & (1u << 5);
  f.bmi2 = b & (1u << 8);
  f.fma = fma;
  f.f16c = f16c;
  if (zmm_ok) {
    f.avx512f = b & (1u << 16);
    f.avx512dq = b & (1u << 17);
    f.avx512bw = b & (1u << 30);
    f.avx512vl = b & (1u << 31);
    f.avx512vnni = c & (1u << 11);
  }
  unsigned a1 = 0, b1 = 0, c1 = 0, d1 = 0;
  __cpuid_count(7, 1, a1, b1, c1, d1);
  f.avxvnni = a1 & (1u << 4);
  f.avx512bf16 = zmm_ok && (a1 & (1u << 5));
#endif
  return f;
}

struct Tables {
  KernelTable scalar{}, avx2{}, avx2vnni{}, avx512{}, avx512vnni{}, avx512bf16{};
  VecKernels vscalar{}, vavx2{}, vavx512{};
  Tables() {
    // One registration line per type family.
    register_float_types(scalar);
    register_q4_0(scalar);
    register_q4_1(scalar);
    register_q5_0(scalar);
    register_q5_1(scalar);
    register_q8(scalar);
    register_k_quants(scalar);
    register_iq4(scalar);
    register_iq3s(scalar);
    register_mxfp4(scalar);
    register_interleaved(scalar);
    avx2 = scalar;
    if (isa_supported(Isa::avx2)) {
      register_avx2(avx2);
      register_iq_avx2(avx2);
      register_gemm_avx2(avx2);
      register_gemm_interleaved_avx2(avx2);
    }
    avx2vnni = avx2;
    if (isa_supported(Isa::avx2vnni)) register_gemm_interleaved_avxvnni(avx2vnni);
    avx512 = avx2;
    if (isa_supported(Isa::avx512)) {
      register_avx512(avx512);
      register_iq_avx512(avx512);
      register_gemm_avx512(avx512);
      register_gemm_interleaved_avx512(avx512);
    }
    avx512vnni = avx512;
    if (isa_supported(Isa::avx512vnni)) {
      register_iq_avx512vnni(avx512vnni);
      register_gemm_avx512vnni(avx512vnni);
      register_gemm_interleaved_avx512vnni(avx512vnni);
    }
    avx512bf16 = avx512vnni;
    if (isa_supported(Isa::avx512bf16)) register_avx512bf16(avx512bf16);
    register_vec_scalar(vscalar);
    vavx2 = vscalar;
    if (isa_supported(Isa::avx2)) register_vec_avx2(vavx2);
    vavx512 = vavx2;
    if (isa_supported(Isa::avx512)) register_vec_avx512(vavx512);
  }
};

const Tables& tables() {
  static const Tables t;
  return t;
}

}  // namespace

const CpuFeatures& cpu_features() {
  static const CpuFeatures f = detect();
  return f;
}

std::string_view isa_name(Isa isa) {
  switch (isa) {
    case Isa::scalar: return "scalar";
    case Isa::avx2: return "avx2";
    case Isa::avx2vnni: return "avx2+vnni";
    case Isa::avx512: return "avx512";
    case Isa::avx512vnni: return "avx512+vnni";
    case Isa::avx512bf16: return "avx512+bf16";
  }
  return "unknown";
}

bool isa_supported(Isa isa) {
  const CpuFeatures& f = cpu_features();
  const bool avx2 = f.avx2 && f.fma && f.f16c && f.bmi2;
  switch (isa) {
    case Isa::scalar: return true;
    case Isa::avx2: return avx2;
    case Isa::avx2vnni: return avx2 && f.avxvnni;
    // Each tier's files are compiled with all of its features (cmake/HearthComponent.cmake).
    case Isa::avx512: return avx2 && f.avx512f && f.avx512bw && f.avx512vl && f.avx512dq;
    case Isa::avx512vnni: return isa_supported(Isa::avx512) && f.avx512vnni;
    case Isa::avx512bf16: return isa_supported(Isa::avx512vnni) && f.avx512bf16;
  }
  return false;
}

Isa best_isa() {
  for (size_t i = std::size(kAllIsas); i-- > 0;)
    if (isa_supported(kAllIsas[i])) return kAllIsas[i];
  return Isa::scalar;
}

Isa choose_isa(std::string_view requested, std::string* warning) {
  if (requested.empty()) return best_isa();
  const std::string v(requested);
  const Isa* found = std::find_if(std::begin(kAllIsas), std::end(kAllIsas), [&](Isa i) { return isa_name(i) == v; });
  if (found == std::end(kAllIsas)) {
    std::string names;
    for (Isa i : kAllIsas) names += (names.empty() ? "" : "|") + std::string(isa_name(i));
    if (warning) *warning = "ISA '" + v + "' is not one of " + names + "; using " + std::string(isa_name(best_isa()));
    return best_isa();
  }
  const Isa want = *found;
  if (!isa_supported(want)) {
    if (warning) *warning = "ISA '" + v + "' is not supported by this CPU; using " + std::string(isa_name(best_isa()));
    return best_isa();
  }
  return want;
}

const KernelTable& kernel_table(Isa isa) {
  if (!isa_supported(isa))
    fail(Errc::unsupported, "ISA path " + std::string(isa_name(isa)) + " is not supported by this CPU");
  const Tables& t = tables();
  switch (isa) {
    case Isa::avx2: return t.avx2;
    case Isa::avx2vnni: return t.avx2vnni;
    case Isa::avx512: return t.avx512;
    case Isa::avx512vnni: return t.avx512vnni;
    case Isa::avx512bf16: return t.avx512bf16;
    default: return t.scalar;
  }
}


const VecKernels& vec_kernels(Isa isa) {
  if (!isa_supported(isa))
    fail(Errc::unsupported, "ISA path " + std::string(isa_name(isa)) + " is not supported by this CPU");
  const Tables& t = tables();
  switch (isa) {
    case Isa::avx2:
    case Isa::avx2vnni: return t.vavx2;
    case Isa::avx512:
    case Isa::avx512vnni:
    case Isa::avx512bf16: return t.vavx512;
    default: return t.vscalar;
  }
}

namespace {
// One object per tier, made on first use (a tier the CPU lacks throws, and the next call tries again).
template <Isa kIsa>
const Kernels& kernels_of() {
  static const Kernels k{kIsa, kernel_table(kIsa), vec_kernels(kIsa)};
  return k;
}
}  // namespace

const Kernels& kernels_for(Isa isa) {
  switch (isa) {
    case Isa::avx2: return kernels_of<Isa::avx2>();
    case Isa::avx2vnni: return kernels_of<Isa::avx2vnni>();
    case Isa::avx512: return kernels_of<Isa::avx512>();
    case Isa::avx512vnni: return kernels_of<Isa::avx512vnni>();
    case Isa::avx512bf16: return kernels_of<Isa::avx512bf16>();
    case Isa::scalar: break;
  }
  return kernels_of<Isa::scalar>();
}

}  // namespace hearth::tensor
