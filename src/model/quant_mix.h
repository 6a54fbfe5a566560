// Which type each tensor gets in a quantized file. llama.cpp names a file's quantization by a
// "file type" (Q4_K_M, Q4_0, ...) and picks per-tensor types from it; hearth follows the same
// choices so its files have the same mix (and size) as llama-quantize's. `hearth quantize` and
// `hearth synth` both use plan_types, so the rules live only here.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gguf/gguf.h"
#include "tensor/types.h"

namespace hearth::model {

// llama.cpp's llama_ftype numbering (stored as general.file_type).
enum class FileType : uint32_t {
  ALL_F32 = 0, F16 = 1, Q4_0 = 2, Q4_1 = 3, Q8_0 = 7, Q5_0 = 8, Q5_1 = 9,
  Q2_K = 10, Q3_K_S = 11, Q3_K_M = 12, Q3_K_L = 13, Q4_K_S = 14, Q4_K_M = 15,
  Q5_K_S = 16, Q5_K_M = 17, Q6_K = 18, Q2_K_S = 21, IQ4_NL = 25, IQ4_XS = 30, BF16 = 32,
};

struct FileTypeInfo {
  FileType ftype;
  std::string_view name;   // lower case: "q4_k_m"
  tensor::Type base;       // the type most weights get
};

// Every file type hearth can write, in a stable order.
const std::vector<FileTypeInfo>& file_types();
const FileTypeInfo& file_type_info(FileType t);
// Case-insensitive ("Q4_K_M", "q4_k_m", "f32"); nullopt when unknown.
std::optional<FileType> file_type_from_name(std::string_view name);
std::string file_type_names();  // "f32, f16, ..." for usage messages
// A file's general.file_type as people write it ("Q4_K_M"), or "?" when unknown or absent.
std::string file_type_label(const gguf::File& f);

// One tensor as it sits in the source (or as synth would produce it in F32).
struct TensorPlanInput {
  std::string name;
  std::vector<int64_t> dims;
  tensor::Type type = tensor::Type::F32;
};

struct MixContext {
  int64_t n_head = 1;
  int64_t n_head_kv = 1;
  std::string arch;  // general.architecture
};

// llama.cpp's loader orders tensors by layer number (non-layer tensors first), then by name;
// llama-quantize writes them in that order and counts layers for the mix rules in it.
// A strict weak order on tensor names.
bool llama_cpp_tensor_less(const std::string& a, const std::string& b);

// The output type of every tensor, in the given (file) order. Like llama.cpp: only 2-D+
// "*.weight" tensors that are not norms are converted; the output matrix (or the token
// embedding when it doubles as the output) gets Q6_K in quantized mixes; attn_v / ffn_down /
// attn_output follow the mix's per-layer rules; a type whose block does not divide the row
// length falls back (Q4_K->Q5_0, Q5_K->Q5_1, Q6_K->Q8_0; Q2_K/Q3_K->Q4_0 because hearth has
// no IQ4_NL, llama.cpp's choice there; F16 when even that does not fit).
std::vector<tensor::Type> plan_types(FileType ftype, const std::vector<TensorPlanInput>& tensors,
                                     const MixContext& ctx);

}  // namespace hearth::model
