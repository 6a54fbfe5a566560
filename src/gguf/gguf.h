// GGUF v2/v3 reader and writer. The reader validates everything against the file size before it
// allocates or dereferences, and reports errors as "<file>: <field> at byte <offset>: <problem>".
// Tensor data is never copied: TensorInfo::data points into the memory map.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "core/mmap.h"
#include "tensor/types.h"

namespace hearth::gguf {

enum class ValueType : uint32_t {
  UINT8 = 0, INT8 = 1, UINT16 = 2, INT16 = 3, UINT32 = 4, INT32 = 5, FLOAT32 = 6, BOOL = 7,
  STRING = 8, ARRAY = 9, UINT64 = 10, INT64 = 11, FLOAT64 = 12,
};
const char* value_type_name(ValueType t);

struct Value;
struct Array {
  ValueType elem_type = ValueType::UINT8;
  std::vector<Value> items;
};

// One metadata value. Integers keep their declared type so a rewrite is byte-identical.
struct Value {
  ValueType type = ValueType::UINT8;
  std::variant<uint64_t, int64_t, double, bool, std::string, std::shared_ptr<Array>> v;

  bool is_integer() const;
  bool is_number() const;
  int64_t as_int() const;      // throws Error(format) when not an integer
  uint64_t as_uint() const;
  double as_float() const;     // integers convert
  bool as_bool() const;
  const std::string& as_string() const;
  const Array& as_array() const;

  static Value u32(uint32_t x);
  static Value i32(int32_t x);
  static Value u64(uint64_t x);
  static Value f32(float x);
  static Value boolean(bool x);
  static Value str(std::string s);
  static Value array(ValueType elem, std::vector<Value> items);
  static Value strings(const std::vector<std::string>& items);
};

struct TensorInfo {
  std::string name;
  std::vector<int64_t> dims;  // ggml order: dims[0] is the contiguous (row) dimension
  tensor::Type type = tensor::Type::F32;
  uint64_t offset = 0;        // relative to the start of the data section
  uint64_t nbytes = 0;
  const uint8_t* data = nullptr;  // into the mapping (nullptr for a File built without data)
  uint32_t type_id = 0;           // as stored (equals `type` when known_type)
  // False only in a file opened with ParseOptions::allow_unknown_types, for a type id hearth does
  // not know: `type`, `nbytes` (0) and `data` (nullptr) then say nothing.
  bool known_type = true;

  int64_t n_elements() const;
  int64_t rows() const;  // product of dims[1..]
};

struct ParseOptions {
  // List tensors whose type id (below 64) hearth does not know instead of refusing the file, so
  // that `hearth inspect` can show a file from a newer llama.cpp. Nothing may compute with them.
  bool allow_unknown_types = false;
};

class File {
 public:
  // Maps and parses `path`. Throws Error(not_found|io|format|unsupported).
  static File open(const std::string& path, const ParseOptions& opts = {});
  // Parses a buffer the caller keeps alive (fuzzing, embedded models). `name` is used in errors.
  static File parse(const uint8_t* data, size_t size, const std::string& name, const ParseOptions& opts = {});
  // Maps `path` and parses the GGUF that starts at byte `offset` (models appended to a binary).
  static File open_at(const std::string& path, uint64_t offset, uint64_t size, const ParseOptions& opts = {});

  uint32_t version() const { return version_; }
  uint64_t alignment() const { return alignment_; }
  uint64_t data_offset() const { return data_offset_; }  // from the start of the GGUF
  const std::string& name() const { return name_; }

  const std::vector<std::pair<std::string, Value>>& metadata() const { return kv_; }
  const Value* find(std::string_view key) const;
  bool has(std::string_view key) const { return find(key) != nullptr; }
  // Typed getters: the default when absent; Error(format) when present with the wrong type.
  std::string get_string(std::string_view key, const std::string& def = "") const;
  int64_t get_int(std::string_view key, int64_t def) const;
  double get_float(std::string_view key, double def) const;
  bool get_bool(std::string_view key, bool def) const;
  std::vector<std::string> get_strings(std::string_view key) const;  // empty when absent
  std::vector<float> get_floats(std::string_view key) const;
  std::vector<int64_t> get_ints(std::string_view key) const;
  // Throws Error(format) naming the key when absent.
  const Value& require(std::string_view key) const;

  const std::vector<TensorInfo>& tensors() const { return tensors_; }
  const TensorInfo* find_tensor(std::string_view name) const;
  const TensorInfo& require_tensor(std::string_view name) const;  // Error(format) when absent

  // Architecture string, "general.architecture" (empty when absent).
  std::string architecture() const { return get_string("general.architecture"); }
  uint64_t file_size() const { return size_; }
  const MappedFile* mapping() const { return map_.get(); }

 private:
  uint32_t version_ = 0;
  uint64_t alignment_ = 32;
  uint64_t data_offset_ = 0;
  uint64_t size_ = 0;
  std::string name_;
  std::vector<std::pair<std::string, Value>> kv_;
  std::vector<TensorInfo> tensors_;
  std::shared_ptr<MappedFile> map_;
};

// What a tensor's data needs in a GGUF file: name, type and ggml-order dimensions.
struct TensorShape {
  std::string name;
  tensor::Type type = tensor::Type::F32;
  std::vector<int64_t> dims;
};

// The bytes of a GGUF v3 file before its tensor data (header, metadata, tensor infos, padded to
// the alignment) and where each tensor's data goes. Writer and the streaming writer both lay
// files out with it, so equal inputs give equal bytes. Validates general.alignment and every
// shape against its type (throws Error(invalid_argument)).
struct Layout {
  std::vector<uint8_t> header;
  std::vector<size_t> sizes;       // data bytes of each tensor
  std::vector<uint64_t> offsets;   // absolute file offset of each tensor's data
  uint64_t alignment = 32;
  uint64_t total = 0;              // file size (each tensor's data padded to the alignment)
};
Layout layout(const std::vector<std::pair<std::string, Value>>& kv, const std::vector<TensorShape>& tensors);

// Bytes of a tensor's data; throws Error(invalid_argument) naming the tensor for a shape its
// type cannot hold.
size_t tensor_data_size(const TensorShape& t);

// Builds a GGUF v3 file. Metadata and tensors are written in the order they are added; tensor
// data is aligned to general.alignment (default 32).
class Writer {
 public:
  void set(const std::string& key, Value value);  // replaces an existing key in place
  void add_tensor(const std::string& name, tensor::Type type, std::vector<int64_t> dims,
                  const void* data, size_t nbytes);  // data is copied
  void write(const std::string& path) const;        // throws Error(io)
  std::vector<uint8_t> serialize() const;

 private:
  struct PendingTensor {
    std::string name;
    tensor::Type type;
    std::vector<int64_t> dims;
    std::vector<uint8_t> bytes;
  };
  std::vector<std::pair<std::string, Value>> kv_;
  std::vector<PendingTensor> tensors_;
};

}  // namespace hearth::gguf
