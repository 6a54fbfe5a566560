// GGUF v3 writer. Layout matches llama.cpp's: header, metadata, tensor infos, padding to the
// alignment, then each tensor's data followed by padding to the alignment.
#include <cstring>
#include <fstream>
#include <string>

#include "core/error.h"
#include "gguf/gguf.h"
#include "gguf/limits.h"

namespace hearth::gguf {
namespace {

class Out {
 public:
  explicit Out(std::vector<uint8_t>& buf) : buf_(buf) {}
  template <typename T>
  void put(T x) {
    const size_t n = buf_.size();
    buf_.resize(n + sizeof(T));
    std::memcpy(buf_.data() + n, &x, sizeof(T));
  }
  void bytes(const void* p, size_t n) {
    if (n == 0) return;
    const size_t at = buf_.size();
    buf_.resize(at + n);
    std::memcpy(buf_.data() + at, p, n);
  }
  void str(const std::string& s) {
    put<uint64_t>(s.size());
    bytes(s.data(), s.size());
  }
  void pad(uint64_t alignment) {
    const uint64_t n = buf_.size();
    buf_.resize((n + alignment - 1) / alignment * alignment, 0);
  }
  size_t size() const { return buf_.size(); }

 private:
  std::vector<uint8_t>& buf_;
};

void write_value(Out& o, const Value& v) {
  switch (v.type) {
    case ValueType::UINT8: o.put<uint8_t>(static_cast<uint8_t>(v.as_uint())); break;
    case ValueType::INT8: o.put<int8_t>(static_cast<int8_t>(v.as_int())); break;
    case ValueType::UINT16: o.put<uint16_t>(static_cast<uint16_t>(v.as_uint())); break;
    case ValueType::INT16: o.put<int16_t>(static_cast<int16_t>(v.as_int())); break;
    case ValueType::UINT32: o.put<uint32_t>(static_cast<uint32_t>(v.as_uint())); break;
    case ValueType::INT32: o.put<int32_t>(static_cast<int32_t>(v.as_int())); break;
    case ValueType::UINT64: o.put<uint64_t>(v.as_uint()); break;
    case ValueType::INT64: o.put<int64_t>(v.as_int()); break;
    case ValueType::FLOAT32: o.put<float>(static_cast<float>(v.as_float())); break;
    case ValueType::FLOAT64: o.put<double>(v.as_float()); break;
    case ValueType::BOOL: o.put<uint8_t>(v.as_bool() ? 1 : 0); break;
    case ValueType::STRING: o.str(v.as_string()); break;
    case ValueType::ARRAY: {
      const Array& a = v.as_array();
      o.put<uint32_t>(static_cast<uint32_t>(a.elem_type));
      o.put<uint64_t>(a.items.size());
      for (const auto& item : a.items) {
        if (item.type != a.elem_type)
          fail(Errc::invalid_argument, std::string("array of ") + value_type_name(a.elem_type) +
                                           " holds a " + value_type_name(item.type));
        write_value(o, item);
      }
      break;
    }
  }
}

}  // namespace

size_t tensor_data_size(const TensorShape& t) {
  if (t.dims.empty() || t.dims.size() > kMaxDims)
    fail(Errc::invalid_argument, "tensor '" + t.name + "': needs 1 to 4 dimensions");
  int64_t count = 1;
  for (int64_t d : t.dims) {
    if (d <= 0) fail(Errc::invalid_argument, "tensor '" + t.name + "': dimensions must be positive");
    count *= d;
  }
  const auto& tr = tensor::traits(t.type);
  if (t.dims[0] % tr.block_size != 0)
    fail(Errc::invalid_argument, "tensor '" + t.name + "': row length " + std::to_string(t.dims[0]) +
                                     " is not a multiple of " + std::string(tr.name) + "'s block size");
  return static_cast<size_t>(count / tr.block_size) * tr.type_size;
}

Layout layout(const std::vector<std::pair<std::string, Value>>& kv, const std::vector<TensorShape>& tensors) {
  Layout l;
  l.alignment = kDefaultAlignment;
  for (const auto& [k, v] : kv) {
    if (k != "general.alignment") continue;
    l.alignment = v.as_uint();
    if (v.type != ValueType::UINT32 || l.alignment == 0 || (l.alignment & (l.alignment - 1)) != 0)
      fail(Errc::invalid_argument, "general.alignment must be a uint32 power of two");
  }
  auto align_up = [&](uint64_t x) { return (x + l.alignment - 1) / l.alignment * l.alignment; };
  Out o(l.header);
  o.bytes("GGUF", 4);
  o.put<uint32_t>(3);
  o.put<uint64_t>(tensors.size());
  o.put<uint64_t>(kv.size());
  for (const auto& [k, v] : kv) {
    o.str(k);
    o.put<uint32_t>(static_cast<uint32_t>(v.type));
    write_value(o, v);
  }
  uint64_t rel = 0;
  std::vector<uint64_t> rel_offsets;
  for (const auto& t : tensors) {
    l.sizes.push_back(tensor_data_size(t));
    o.str(t.name);
    o.put<uint32_t>(static_cast<uint32_t>(t.dims.size()));
    for (int64_t d : t.dims) o.put<uint64_t>(static_cast<uint64_t>(d));
    o.put<uint32_t>(static_cast<uint32_t>(t.type));
    o.put<uint64_t>(rel);
    rel_offsets.push_back(rel);
    rel += align_up(l.sizes.back());
  }
  // Like llama.cpp, pad even when no tensor data follows (gguf-py's vocab-only files omit it).
  o.pad(l.alignment);
  for (uint64_t r : rel_offsets) l.offsets.push_back(l.header.size() + r);
  l.total = l.header.size() + rel;
  return l;
}

void Writer::set(const std::string& key, Value value) {
  for (auto& [k, v] : kv_) {
    if (k == key) {
      v = std::move(value);
      return;
    }
  }
  kv_.emplace_back(key, std::move(value));
}

void Writer::add_tensor(const std::string& name, tensor::Type type, std::vector<int64_t> dims,
                        const void* data, size_t nbytes) {
  for (const auto& t : tensors_)
    if (t.name == name) fail(Errc::invalid_argument, "tensor '" + name + "' added twice");
  const size_t expect = tensor_data_size({name, type, dims});
  if (nbytes != expect)
    fail(Errc::invalid_argument, "tensor '" + name + "': " + std::to_string(nbytes) +
                                     " bytes given, its type and shape need " + std::to_string(expect));
  PendingTensor t{name, type, std::move(dims), {}};
  const auto* b = static_cast<const uint8_t*>(data);
  t.bytes.assign(b, b + nbytes);
  tensors_.push_back(std::move(t));
}

std::vector<uint8_t> Writer::serialize() const {
  std::vector<TensorShape> shapes;
  for (const auto& t : tensors_) shapes.push_back({t.name, t.type, t.dims});
  Layout l = layout(kv_, shapes);
  std::vector<uint8_t> buf = std::move(l.header);
  Out o(buf);
  for (const auto& t : tensors_) {
    o.bytes(t.bytes.data(), t.bytes.size());
    o.pad(l.alignment);
  }
  return buf;
}

void Writer::write(const std::string& path) const {
  const std::vector<uint8_t> buf = serialize();
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) fail(Errc::io, path + ": cannot open for writing");
  out.write(reinterpret_cast<const char*>(buf.data()), static_cast<std::streamsize>(buf.size()));
  out.flush();
  if (!out) fail(Errc::io, path + ": write failed");
}

}  // namespace hearth::gguf
