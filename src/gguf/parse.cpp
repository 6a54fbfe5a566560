// GGUF v2/v3 parser. Every read is bounds-checked against the buffer, every count is checked
// against the bytes that remain before anything is allocated for it, and every error names the
// field and the byte offset where it went wrong.
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <limits>
#include <numeric>
#include <string>
#include <unordered_set>

#include "core/error.h"
#include "core/utf8.h"
#include "gguf/gguf.h"
#include "gguf/limits.h"

namespace hearth::gguf {
namespace {

// Smallest encoding of one value of type `t` (element type of an array, no type tag).
uint64_t min_encoded_size(ValueType t) {
  switch (t) {
    case ValueType::UINT8: case ValueType::INT8: case ValueType::BOOL: return 1;
    case ValueType::UINT16: case ValueType::INT16: return 2;
    case ValueType::UINT32: case ValueType::INT32: case ValueType::FLOAT32: return 4;
    case ValueType::UINT64: case ValueType::INT64: case ValueType::FLOAT64: return 8;
    case ValueType::STRING: return 8;          // length only
    case ValueType::ARRAY: return 4 + 8;       // element type + length
  }
  return 1;
}

bool valid_value_type(uint32_t t) { return t <= static_cast<uint32_t>(ValueType::FLOAT64); }

class Parser {
 public:
  Parser(const uint8_t* data, size_t size, const std::string& name, const ParseOptions& opts)
      : p_(data), size_(size), name_(name), opts_(opts) {}

  void run(uint32_t& version, uint64_t& alignment, uint64_t& data_offset,
           std::vector<std::pair<std::string, Value>>& kv, std::vector<TensorInfo>& tensors);

 private:
  size_t left() const { return size_ - pos_; }

  // "<prefix>[ item i.j] <what>", built only when an error is reported.
  std::string field(const std::string& what) const {
    std::string f = prefix_;
    if (!path_.empty()) {
      f += " item ";
      for (size_t i = 0; i < path_.size(); ++i) {
        if (i) f += '.';
        f += std::to_string(path_[i]);
      }
    }
    if (!what.empty()) {
      if (!f.empty()) f += ' ';
      f += what;
    }
    return f;
  }

  [[noreturn]] void fail_at(uint64_t off, const std::string& what, const std::string& problem,
                            Errc code = Errc::format) const {
    fail(code, name_ + ": " + field(what) + " at byte " + std::to_string(off) + ": " + problem);
  }

  void need(size_t n, const char* what) const {
    if (left() < n)
      fail_at(pos_, what, "file truncated (needs " + std::to_string(n) + " bytes, " +
                              std::to_string(left()) + " left)");
  }

  template <typename T>
  T read(const char* what) {
    need(sizeof(T), what);
    T x;
    std::memcpy(&x, p_ + pos_, sizeof(T));  // GGUF is little-endian, like every host we build for
    pos_ += sizeof(T);
    return x;
  }

  std::string read_string(const char* what) {
    const size_t at = pos_;
    const uint64_t len = read<uint64_t>(what);
    if (len > left())
      fail_at(at, what, "string length " + std::to_string(len) + " exceeds the " +
                            std::to_string(left()) + " bytes left in the file (truncated or corrupt)");
    std::string s(reinterpret_cast<const char*>(p_ + pos_), static_cast<size_t>(len));
    if (auto bad = utf8::find_invalid(s))
      fail_at(pos_ + *bad, what, "invalid UTF-8 (byte " + std::to_string(*bad) + " of the string)");
    pos_ += len;
    return s;
  }

  Value read_value(ValueType t, int depth);
  void read_header(uint32_t& version, uint64_t& n_tensors, uint64_t& n_kv);
  void read_kv(uint64_t n_kv, std::vector<std::pair<std::string, Value>>& kv);
  uint64_t alignment_from(const std::vector<std::pair<std::string, Value>>& kv);
  void read_tensor_infos(uint64_t n, uint64_t alignment, std::vector<TensorInfo>& tensors,
                         std::vector<size_t>& offset_pos);
  void check_tensor_data(uint64_t data_offset, std::vector<TensorInfo>& tensors,
                         const std::vector<size_t>& offset_pos);

  const uint8_t* p_;
  size_t size_;
  size_t pos_ = 0;
  const std::string& name_;
  ParseOptions opts_;
  std::string prefix_;
  std::vector<uint64_t> path_;  // array item indices of the value being read
  uint64_t n_values_ = 0;       // array items decoded so far, against kMaxMetadataValues
};

Value Parser::read_value(ValueType t, int depth) {
  Value v;
  v.type = t;
  switch (t) {
    case ValueType::UINT8: v.v = uint64_t{read<uint8_t>("value")}; break;
    case ValueType::INT8: v.v = int64_t{read<int8_t>("value")}; break;
    case ValueType::UINT16: v.v = uint64_t{read<uint16_t>("value")}; break;
    case ValueType::INT16: v.v = int64_t{read<int16_t>("value")}; break;
    case ValueType::UINT32: v.v = uint64_t{read<uint32_t>("value")}; break;
    case ValueType::INT32: v.v = int64_t{read<int32_t>("value")}; break;
    case ValueType::UINT64: v.v = read<uint64_t>("value"); break;
    case ValueType::INT64: v.v = read<int64_t>("value"); break;
    case ValueType::FLOAT32: v.v = static_cast<double>(read<float>("value")); break;
    case ValueType::FLOAT64: v.v = read<double>("value"); break;
    case ValueType::BOOL: {
      const size_t at = pos_;
      const uint8_t b = read<uint8_t>("value");
      if (b > 1) fail_at(at, "value", "bool value " + std::to_string(b) + " is neither 0 nor 1");
      v.v = b == 1;
      break;
    }
    case ValueType::STRING: v.v = read_string("string"); break;
    case ValueType::ARRAY: {
      const size_t at = pos_;
      if (depth >= kMaxArrayDepth)
        fail_at(at, "array", "arrays nested deeper than " + std::to_string(kMaxArrayDepth) + " levels");
      const uint32_t et = read<uint32_t>("array element type");
      if (!valid_value_type(et))
        fail_at(at, "array element type", "unknown value type " + std::to_string(et));
      const size_t len_at = pos_;
      const uint64_t n = read<uint64_t>("array length");
      const uint64_t min = min_encoded_size(static_cast<ValueType>(et));
      if (n > left() / min)
        fail_at(len_at, "array length", "array of " + std::to_string(n) + " " +
                    value_type_name(static_cast<ValueType>(et)) + " needs at least " +
                    (n > std::numeric_limits<uint64_t>::max() / min ? std::string("2^64")
                                                                     : std::to_string(n * min)) +
                    " bytes but only " + std::to_string(left()) + " are left");
      if (n > kMaxMetadataValues - n_values_)
        fail_at(len_at, "array length", "metadata would hold more than " +
                    std::to_string(kMaxMetadataValues) + " values");
      n_values_ += n;
      auto arr = std::make_shared<Array>();
      arr->elem_type = static_cast<ValueType>(et);
      arr->items.reserve(static_cast<size_t>(n));
      path_.push_back(0);
      for (uint64_t i = 0; i < n; ++i) {
        path_.back() = i;
        arr->items.push_back(read_value(arr->elem_type, depth + 1));
      }
      path_.pop_back();
      v.v = std::move(arr);
      break;
    }
  }
  return v;
}

void Parser::read_header(uint32_t& version, uint64_t& n_tensors, uint64_t& n_kv) {
  need(4, "magic");
  if (std::memcmp(p_, "GGUF", 4) != 0) {
    std::string got;
    for (int i = 0; i < 4; ++i) {
      char buf[8];
      if (p_[i] >= 0x20 && p_[i] < 0x7f) std::snprintf(buf, sizeof buf, "%c", p_[i]);
      else std::snprintf(buf, sizeof buf, "\\x%02x", p_[i]);
      got += buf;
    }
    fail_at(0, "magic", "not a GGUF file (starts with '" + got + "', expected 'GGUF')");
  }
  pos_ = 4;
  version = read<uint32_t>("version");
  if (version == 1)
    fail_at(4, "version", "unsupported GGUF version 1 (only versions 2 and 3 are supported)",
            Errc::unsupported);
  if ((version & 0xffff) == 0 && version != 0)
    fail_at(4, "version", "big-endian GGUF files are not supported", Errc::unsupported);
  if (version != 2 && version != 3)
    fail_at(4, "version", "unsupported GGUF version " + std::to_string(version) +
                              " (only versions 2 and 3 are supported)", Errc::unsupported);
  const size_t tc_at = pos_;
  n_tensors = read<uint64_t>("tensor count");
  const size_t kc_at = pos_;
  n_kv = read<uint64_t>("kv count");
  // Each tensor info takes at least 32 bytes (name length, n_dims, one dim, type, offset) and
  // each key/value pair at least 13 (key length, type, one byte of value).
  if (n_tensors > left() / kMinTensorInfoSize)
    fail_at(tc_at, "tensor count", std::to_string(n_tensors) + " tensors cannot fit in the " +
                                       std::to_string(left()) + " bytes left in the file (truncated or corrupt)");
  if (n_kv > left() / kMinKvSize)
    fail_at(kc_at, "kv count", std::to_string(n_kv) + " key/value pairs cannot fit in the " +
                                   std::to_string(left()) + " bytes left in the file (truncated or corrupt)");
}

void Parser::read_kv(uint64_t n_kv, std::vector<std::pair<std::string, Value>>& kv) {
  kv.reserve(static_cast<size_t>(n_kv));
  std::unordered_set<std::string> seen;
  for (uint64_t i = 0; i < n_kv; ++i) {
    prefix_ = "kv " + std::to_string(i);
    const size_t key_at = pos_;
    std::string key = read_string("key");
    if (key.empty()) fail_at(key_at, "key", "empty key");
    prefix_ += " ('" + key + "')";
    if (!seen.insert(key).second) fail_at(key_at, "key", "duplicate key '" + key + "'");
    const size_t type_at = pos_;
    const uint32_t t = read<uint32_t>("value type");
    if (!valid_value_type(t)) fail_at(type_at, "value type", "unknown value type " + std::to_string(t));
    Value v = read_value(static_cast<ValueType>(t), 0);
    kv.emplace_back(std::move(key), std::move(v));
  }
  prefix_.clear();
}

uint64_t Parser::alignment_from(const std::vector<std::pair<std::string, Value>>& kv) {
  for (const auto& [k, v] : kv) {
    if (k != "general.alignment") continue;
    if (v.type != ValueType::UINT32)
      fail(Errc::format, name_ + ": general.alignment: must be uint32, not " + value_type_name(v.type));
    const uint64_t a = v.as_uint();
    if (a == 0 || (a & (a - 1)) != 0)
      fail(Errc::format, name_ + ": general.alignment: " + std::to_string(a) + " is not a power of two");
    return a;
  }
  return kDefaultAlignment;
}

void Parser::read_tensor_infos(uint64_t n, uint64_t alignment, std::vector<TensorInfo>& tensors,
                               std::vector<size_t>& offset_pos) {
  tensors.reserve(static_cast<size_t>(n));
  offset_pos.reserve(static_cast<size_t>(n));
  std::unordered_set<std::string> seen;
  for (uint64_t i = 0; i < n; ++i) {
    TensorInfo t;
    prefix_ = "tensor " + std::to_string(i);
    const size_t name_at = pos_;
    t.name = read_string("name");
    if (t.name.empty()) fail_at(name_at, "name", "empty tensor name");
    prefix_ += " ('" + t.name + "')";
    if (!seen.insert(t.name).second) fail_at(name_at, "name", "duplicate tensor name '" + t.name + "'");

    const size_t nd_at = pos_;
    const uint32_t nd = read<uint32_t>("n_dims");
    if (nd == 0 || nd > kMaxDims)
      fail_at(nd_at, "n_dims", std::to_string(nd) + " dimensions (must be 1 to " +
                                   std::to_string(kMaxDims) + ")");
    const size_t dims_at = pos_;
    int64_t count = 1;
    for (uint32_t d = 0; d < nd; ++d) {
      const uint64_t x = read<uint64_t>("dims");
      if (x == 0) fail_at(dims_at, "dims", "dimension " + std::to_string(d) + " is zero");
      if (x > static_cast<uint64_t>(INT64_MAX))
        fail_at(dims_at, "dims", "dimension " + std::to_string(d) + " is negative as int64");
      if (__builtin_mul_overflow(count, static_cast<int64_t>(x), &count))
        fail_at(dims_at, "dims", "element count overflows int64");
      t.dims.push_back(static_cast<int64_t>(x));
    }
    const size_t type_at = pos_;
    const uint32_t type_id = read<uint32_t>("type");
    const tensor::TypeTraits* tr = tensor::traits(type_id);
    t.type_id = type_id;
    if (!tr && opts_.allow_unknown_types && type_id < 64) {
      t.known_type = false;  // listed, not usable: its block size and byte size are unknown
    } else {
      if (!tr)
        fail_at(type_at, "type", "unknown tensor type id " + std::to_string(type_id),
                type_id < 64 ? Errc::unsupported : Errc::format);
      t.type = tr->type;
      if (t.dims[0] % tr->block_size != 0)
        fail_at(dims_at, "dims", "row length " + std::to_string(t.dims[0]) +
                                     " is not a multiple of the " + std::string(tr->name) +
                                     " block size " + std::to_string(tr->block_size));
      // count / block_size * type_size cannot overflow past what the element count allowed only if
      // type_size <= block_size * 8; check anyway.
      uint64_t nbytes;
      if (__builtin_mul_overflow(static_cast<uint64_t>(count / tr->block_size),
                                 static_cast<uint64_t>(tr->type_size), &nbytes))
        fail_at(dims_at, "dims", "tensor size in bytes overflows");
      t.nbytes = nbytes;
    }
    offset_pos.push_back(pos_);
    t.offset = read<uint64_t>("offset");
    if (t.offset % alignment != 0)
      fail_at(offset_pos.back(), "offset", "offset " + std::to_string(t.offset) +
                                              " is not a multiple of the alignment " +
                                              std::to_string(alignment));
    tensors.push_back(std::move(t));
  }
  prefix_.clear();
}

void Parser::check_tensor_data(uint64_t data_offset, std::vector<TensorInfo>& tensors,
                               const std::vector<size_t>& offset_pos) {
  const uint64_t data_size = data_offset <= size_ ? size_ - data_offset : 0;
  for (size_t i = 0; i < tensors.size(); ++i) {
    auto& t = tensors[i];
    if (t.offset > data_size || t.nbytes > data_size - t.offset) {
      prefix_ = "tensor " + std::to_string(i) + " ('" + t.name + "')";
      fail_at(offset_pos[i], "offset",
              "data [" + std::to_string(t.offset) + ", +" + std::to_string(t.nbytes) +
                  ") runs past the end of the file (data section has " +
                  std::to_string(data_size) + " bytes from byte " + std::to_string(data_offset) + ")");
    }
    if (t.known_type) t.data = p_ + data_offset + t.offset;
  }
  std::vector<size_t> order(tensors.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(),
            [&](size_t a, size_t b) { return tensors[a].offset < tensors[b].offset; });
  for (size_t k = 1; k < order.size(); ++k) {
    const auto& prev = tensors[order[k - 1]];
    const auto& cur = tensors[order[k]];
    if (prev.offset + prev.nbytes > cur.offset) {
      prefix_ = "tensor " + std::to_string(order[k]) + " ('" + cur.name + "')";
      fail_at(offset_pos[order[k]], "offset",
              "data overlaps tensor " + std::to_string(order[k - 1]) + " ('" + prev.name + "')");
    }
  }
  prefix_.clear();
}

void Parser::run(uint32_t& version, uint64_t& alignment, uint64_t& data_offset,
                 std::vector<std::pair<std::string, Value>>& kv, std::vector<TensorInfo>& tensors) {
  uint64_t n_tensors = 0, n_kv = 0;
  read_header(version, n_tensors, n_kv);
  read_kv(n_kv, kv);
  alignment = alignment_from(kv);
  // The tensor count was checked against the bytes left after the header; check again now that
  // the metadata has used some of them.
  if (n_tensors > left() / kMinTensorInfoSize)
    fail(Errc::format, name_ + ": tensor count at byte 8: " + std::to_string(n_tensors) +
                           " tensors cannot fit in the " + std::to_string(left()) +
                           " bytes left after the metadata (at byte " + std::to_string(pos_) + ")");
  std::vector<size_t> offset_pos;
  read_tensor_infos(n_tensors, alignment, tensors, offset_pos);
  data_offset = (pos_ + alignment - 1) / alignment * alignment;
  check_tensor_data(data_offset, tensors, offset_pos);
}

}  // namespace

File File::parse(const uint8_t* data, size_t size, const std::string& name, const ParseOptions& opts) {
  File f;
  f.name_ = name;
  f.size_ = size;
  Parser(data, size, f.name_, opts).run(f.version_, f.alignment_, f.data_offset_, f.kv_, f.tensors_);
  return f;
}

}  // namespace hearth::gguf
