#include "model/quant_mix.h"

#include <algorithm>
#include <cctype>

#include "core/error.h"

namespace hearth::model {
namespace {

using tensor::Type;

bool contains(const std::string& s, std::string_view part) { return s.find(part) != std::string::npos; }
bool ends_with(const std::string& s, std::string_view tail) {
  return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

// The layers llama.cpp gives more bits in the *_M mixes: the first and last eighth, and every
// third layer in between.
bool use_more_bits(int64_t i, int64_t n) { return i < n / 8 || i >= 7 * n / 8 || (i - n / 8) % 3 == 2; }

// Whether llama.cpp's quantizer converts this tensor at all (otherwise it is copied as is).
bool is_converted(const TensorPlanInput& t) {
  if (!ends_with(t.name, "weight")) return false;
  int64_t n_dims = static_cast<int64_t>(t.dims.size());
  while (n_dims > 1 && t.dims[n_dims - 1] == 1) --n_dims;  // ggml_n_dims ignores trailing 1s
  if (n_dims < 2) return false;
  if (contains(t.name, "_norm.weight")) return false;
  if (contains(t.name, "ffn_gate_inp.weight")) return false;
  return true;
}

bool is_quantized(Type t) { return tensor::traits(t).quantized; }

struct Counters {
  int64_t n_attn_v = 0, n_ffn_down = 0;
  int64_t i_attn_v = 0, i_ffn_down = 0;
  bool has_output = false;
};

// llama.cpp's per-tensor refinement of the mix's base type (the parts that apply to the types
// hearth writes: legacy, K-quants, IQ4_NL and IQ4_XS without an importance matrix).
Type refine(FileType ft, Type t, const TensorPlanInput& in, const MixContext& ctx, Counters& c) {
  const std::string& name = in.name;
  const int64_t n_gqa = ctx.n_head_kv > 0 ? ctx.n_head / ctx.n_head_kv : 1;
  const bool falcon = ctx.arch == "falcon";
  if (name == "output.weight" || (!c.has_output && name == "token_embd.weight")) {
    if (falcon || in.dims[0] % tensor::QK_K != 0) t = Type::Q8_0;
    else if (t != Type::Q8_0) t = Type::Q6_K;
  } else if (name == "token_embd.weight") {
    // Kept at the base type for the mixes hearth writes.
  } else if (contains(name, "attn_v.weight")) {
    const int64_t i = c.i_attn_v, n = c.n_attn_v;
    if (ft == FileType::Q2_K) t = n_gqa >= 4 ? Type::Q4_K : Type::Q3_K;
    else if (ft == FileType::Q2_K_S && n_gqa >= 4) t = Type::Q4_K;
    else if (ft == FileType::Q3_K_M) t = i < 2 ? Type::Q5_K : Type::Q4_K;
    else if (ft == FileType::Q3_K_L) t = Type::Q5_K;
    else if ((ft == FileType::Q4_K_M || ft == FileType::Q5_K_M) && use_more_bits(i, n)) t = Type::Q6_K;
    else if (ft == FileType::Q4_K_S && i < 4) t = Type::Q5_K;
    else if ((ft == FileType::IQ4_NL || ft == FileType::IQ4_XS) && n_gqa >= 4) t = Type::Q5_K;
    ++c.i_attn_v;
  } else if (contains(name, "ffn_down")) {
    const int64_t i = c.i_ffn_down, n = c.n_ffn_down;
    if (ft == FileType::Q2_K) t = Type::Q3_K;
    else if (ft == FileType::Q2_K_S) {
      if (i < n / 8) t = Type::Q4_K;
    } else if (ft == FileType::Q3_K_M) {
      t = i < n / 16 ? Type::Q5_K : (!falcon || use_more_bits(i, n)) ? Type::Q4_K : Type::Q3_K;
    } else if (ft == FileType::Q3_K_L) {
      t = falcon ? Type::Q4_K : Type::Q5_K;
    } else if (ft == FileType::Q4_K_M) {
      if (falcon) {
        t = i < n / 16 ? Type::Q6_K : use_more_bits(i, n) ? Type::Q5_K : Type::Q4_K;
      } else if (use_more_bits(i, n)) {
        t = Type::Q6_K;
      }
    } else if (ft == FileType::Q5_K_M && use_more_bits(i, n)) {
      t = Type::Q6_K;
    } else if (ft == FileType::Q4_K_S && !falcon && i < n / 8) {
      t = Type::Q5_K;
    } else if ((ft == FileType::IQ4_NL || ft == FileType::IQ4_XS) && i < n / 8) {
      t = Type::Q5_K;  // without an importance matrix the first eighth gets more bits
    }
    ++c.i_ffn_down;
  } else if (contains(name, "attn_output.weight") && !falcon) {
    if (ft == FileType::Q2_K) t = Type::Q3_K;
    else if (ft == FileType::Q3_K_M) t = Type::Q4_K;
    else if (ft == FileType::Q3_K_L) t = Type::Q5_K;
  }

  // A row length the chosen block does not divide: take a compatible type.
  const int64_t bs = tensor::traits(t).block_size;
  if (in.dims[0] % bs != 0) {
    switch (t) {
      case Type::Q2_K:
      case Type::Q3_K: t = Type::Q4_0; break;
      case Type::Q4_K: t = Type::Q5_0; break;
      case Type::Q5_K: t = Type::Q5_1; break;
      case Type::Q6_K: t = Type::Q8_0; break;
      case Type::IQ4_XS: t = Type::IQ4_NL; break;
      default: break;
    }
    if (in.dims[0] % tensor::traits(t).block_size != 0) t = Type::F16;
  }
  return t;
}

}  // namespace

bool llama_cpp_tensor_less(const std::string& a, const std::string& b) {
  auto layer = [](const std::string& s) -> int64_t {
    if (s.rfind("blk.", 0) != 0) return -1;
    int64_t n = 0;
    size_t i = 4;
    if (i >= s.size() || !std::isdigit(static_cast<unsigned char>(s[i]))) return -1;
    for (; i < s.size() && std::isdigit(static_cast<unsigned char>(s[i])); ++i) n = n * 10 + (s[i] - '0');
    return (i < s.size() && s[i] == '.') ? n : -1;
  };
  const int64_t la = layer(a), lb = layer(b);
  if (la != lb) return la < lb;
  return a < b;
}

const std::vector<FileTypeInfo>& file_types() {
  static const std::vector<FileTypeInfo> list = {
      {FileType::ALL_F32, "f32", Type::F32},      {FileType::F16, "f16", Type::F16},
      {FileType::BF16, "bf16", Type::BF16},       {FileType::Q8_0, "q8_0", Type::Q8_0},
      {FileType::Q4_0, "q4_0", Type::Q4_0},       {FileType::Q4_1, "q4_1", Type::Q4_1},
      {FileType::Q5_0, "q5_0", Type::Q5_0},       {FileType::Q5_1, "q5_1", Type::Q5_1},
      {FileType::Q2_K, "q2_k", Type::Q2_K},       {FileType::Q2_K_S, "q2_k_s", Type::Q2_K},
      {FileType::Q3_K_S, "q3_k_s", Type::Q3_K},   {FileType::Q3_K_M, "q3_k_m", Type::Q3_K},
      {FileType::Q3_K_L, "q3_k_l", Type::Q3_K},   {FileType::Q4_K_S, "q4_k_s", Type::Q4_K},
      {FileType::Q4_K_M, "q4_k_m", Type::Q4_K},   {FileType::Q5_K_S, "q5_k_s", Type::Q5_K},
      {FileType::Q5_K_M, "q5_k_m", Type::Q5_K},   {FileType::Q6_K, "q6_k", Type::Q6_K},
      {FileType::IQ4_NL, "iq4_nl", Type::IQ4_NL}, {FileType::IQ4_XS, "iq4_xs", Type::IQ4_XS},
  };
  return list;
}

const FileTypeInfo& file_type_info(FileType t) {
  for (const auto& i : file_types())
    if (i.ftype == t) return i;
  fail(Errc::invalid_argument, "unknown file type " + std::to_string(static_cast<uint32_t>(t)));
}

std::optional<FileType> file_type_from_name(std::string_view name) {
  std::string lower(name);
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char ch) { return std::tolower(ch); });
  for (const auto& i : file_types())
    if (i.name == lower) return i.ftype;
  return std::nullopt;
}

std::string file_type_names() {
  std::string out;
  for (const auto& i : file_types()) {
    if (!out.empty()) out += ", ";
    out += i.name;
  }
  return out;
}

std::string file_type_label(const gguf::File& f) {
  const gguf::Value* v = f.find("general.file_type");
  if (!v || !v->is_integer()) return "?";
  const int64_t ft = v->as_int();
  for (const auto& i : file_types()) {
    if (static_cast<int64_t>(i.ftype) != ft) continue;
    std::string s(i.name);
    for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return s;
  }
  return "?";
}

std::vector<Type> plan_types(FileType ft, const std::vector<TensorPlanInput>& tensors, const MixContext& ctx) {
  const FileTypeInfo& info = file_type_info(ft);
  Counters c;
  for (const auto& t : tensors) {
    if (t.dims.empty()) fail(Errc::invalid_argument, "tensor '" + t.name + "' has no dimensions");
    if (contains(t.name, "attn_v.weight")) ++c.n_attn_v;
    if (contains(t.name, "ffn_down")) ++c.n_ffn_down;
    if (t.name == "output.weight") c.has_output = true;
  }
  std::vector<Type> out;
  out.reserve(tensors.size());
  for (const auto& t : tensors) {
    if (!is_converted(t)) {
      out.push_back(t.type);
      continue;
    }
    Type chosen = info.base;
    if (is_quantized(info.base)) chosen = refine(ft, chosen, t, ctx, c);
    out.push_back(chosen);
  }
  return out;
}

}  // namespace hearth::model
