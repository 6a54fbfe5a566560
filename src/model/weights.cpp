#include "model/weights.h"

#include "core/error.h"

namespace hearth::model {
namespace {

std::string dims_str(const std::vector<int64_t>& d) {
  std::string s = "[";
  for (size_t i = 0; i < d.size(); ++i) s += (i ? ", " : "") + std::to_string(d[i]);
  return s + "]";
}

Weight make(const gguf::File& f, const gguf::TensorInfo& t, int64_t cols, int64_t rows, bool vector) {
  const auto& tr = tensor::traits(t.type);
  if (!tr.supported)
    fail(Errc::unsupported, f.name() + ": tensor '" + t.name + "' has type " + std::string(tr.name) +
                                ", which hearth cannot compute with");
  if (vector && t.type != tensor::Type::F32)
    fail(Errc::unsupported, f.name() + ": tensor '" + t.name + "' has type " + std::string(tr.name) +
                                "; hearth expects norms and biases in f32");
  bool ok = !t.dims.empty() && t.dims.size() <= 2 && (cols == 0 || t.dims[0] == cols);
  int64_t r = t.dims.size() > 1 ? t.dims[1] : 1;
  if (vector) ok = ok && t.dims.size() == 1;
  else ok = ok && (rows == 0 || r == rows);
  if (!ok) {
    std::string want = vector ? "[" + std::to_string(cols) + "]"
                              : "[" + std::to_string(cols) + ", " + (rows ? std::to_string(rows) : "*") + "]";
    fail(Errc::format, f.name() + ": tensor '" + t.name + "' has shape " + dims_str(t.dims) + ", expected " + want);
  }
  if (t.data == nullptr) fail(Errc::format, f.name() + ": tensor '" + t.name + "' has no data");
  Weight w;
  w.data = t.data;
  w.type = t.type;
  w.cols = t.dims[0];
  w.rows = r;
  w.name = t.name;
  return w;
}

}  // namespace

Weight bind_matrix(const gguf::File& f, const std::string& name, int64_t cols, int64_t rows) {
  return make(f, f.require_tensor(name), cols, rows, false);
}

Weight bind_vector(const gguf::File& f, const std::string& name, int64_t n) {
  return make(f, f.require_tensor(name), n, 1, true);
}

Weight bind_optional_matrix(const gguf::File& f, const std::string& name, int64_t cols, int64_t rows) {
  const gguf::TensorInfo* t = f.find_tensor(name);
  return t ? make(f, *t, cols, rows, false) : Weight{};
}

Weight bind_experts(const gguf::File& f, const std::string& name, int64_t cols, int64_t rows, int64_t n_expert) {
  const gguf::TensorInfo& t = f.require_tensor(name);
  if (t.dims.size() != 3 || t.dims[0] != cols || t.dims[1] != rows || t.dims[2] != n_expert)
    fail(Errc::format, f.name() + ": tensor '" + t.name + "' has shape " + dims_str(t.dims) + ", expected [" +
                           std::to_string(cols) + ", " + std::to_string(rows) + ", " + std::to_string(n_expert) + "]");
  const auto& tr = tensor::traits(t.type);
  if (!tr.supported)
    fail(Errc::unsupported, f.name() + ": tensor '" + t.name + "' has type " + std::string(tr.name) +
                                ", which hearth cannot compute with");
  if (t.data == nullptr) fail(Errc::format, f.name() + ": tensor '" + t.name + "' has no data");
  Weight w;
  w.data = t.data;
  w.type = t.type;
  w.cols = cols;
  w.rows = rows;
  w.name = t.name;
  w.n_expert = n_expert;
  w.expert_stride = tensor::row_size(t.type, cols) * static_cast<size_t>(rows);
  return w;
}

Weight bind_optional_vector(const gguf::File& f, const std::string& name, int64_t n) {
  const gguf::TensorInfo* t = f.find_tensor(name);
  return t ? make(f, *t, n, 1, true) : Weight{};
}

}  // namespace hearth::model
