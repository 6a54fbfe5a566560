// Opening GGUF files from disk and typed metadata lookups.
#include <string>

#include "core/error.h"
#include "gguf/gguf.h"
#include "gguf/packed.h"

namespace hearth::gguf {

int64_t TensorInfo::n_elements() const {
  int64_t n = 1;
  for (int64_t d : dims) n *= d;
  return n;
}

int64_t TensorInfo::rows() const {
  int64_t n = 1;
  for (size_t i = 1; i < dims.size(); ++i) n *= dims[i];
  return n;
}

File File::open(const std::string& path, const ParseOptions& opts) {
  // A packed executable (hearth pack) carries its model: map just that range, in place.
  if (auto packed = packed::read_trailer(path)) return open_at(path, packed->gguf_offset, packed->gguf_size, opts);
  auto map = std::make_shared<MappedFile>(path);
  File f = parse(map->data(), map->size(), path, opts);
  f.map_ = std::move(map);
  return f;
}

File File::open_at(const std::string& path, uint64_t offset, uint64_t size, const ParseOptions& opts) {
  // Only the range is mapped, so mapping() covers exactly the GGUF (offsets from its start).
  auto map = std::make_shared<MappedFile>(path, offset, size);
  File f = parse(map->data(), map->size(), path, opts);
  f.map_ = std::move(map);
  return f;
}

const Value* File::find(std::string_view key) const {
  for (const auto& [k, v] : kv_)
    if (k == key) return &v;
  return nullptr;
}

const Value& File::require(std::string_view key) const {
  if (const Value* v = find(key)) return *v;
  fail(Errc::format, name_ + ": required metadata key '" + std::string(key) + "' is missing");
}

namespace {
// Re-throws a type mismatch from Value with the file and key in the message.
template <typename F>
auto with_key(const std::string& file, std::string_view key, F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (const Error& e) {
    fail(e.code(), file + ": metadata '" + std::string(key) + "': " + e.what());
  }
}
}  // namespace

std::string File::get_string(std::string_view key, const std::string& def) const {
  const Value* v = find(key);
  if (!v) return def;
  return with_key(name_, key, [&] { return v->as_string(); });
}

int64_t File::get_int(std::string_view key, int64_t def) const {
  const Value* v = find(key);
  if (!v) return def;
  return with_key(name_, key, [&] { return v->as_int(); });
}

double File::get_float(std::string_view key, double def) const {
  const Value* v = find(key);
  if (!v) return def;
  return with_key(name_, key, [&] { return v->as_float(); });
}

bool File::get_bool(std::string_view key, bool def) const {
  const Value* v = find(key);
  if (!v) return def;
  return with_key(name_, key, [&] { return v->as_bool(); });
}

std::vector<std::string> File::get_strings(std::string_view key) const {
  const Value* v = find(key);
  if (!v) return {};
  return with_key(name_, key, [&] {
    std::vector<std::string> out;
    const Array& a = v->as_array();
    out.reserve(a.items.size());
    for (const auto& item : a.items) out.push_back(item.as_string());
    return out;
  });
}

std::vector<float> File::get_floats(std::string_view key) const {
  const Value* v = find(key);
  if (!v) return {};
  return with_key(name_, key, [&] {
    std::vector<float> out;
    const Array& a = v->as_array();
    out.reserve(a.items.size());
    for (const auto& item : a.items) out.push_back(static_cast<float>(item.as_float()));
    return out;
  });
}

std::vector<int64_t> File::get_ints(std::string_view key) const {
  const Value* v = find(key);
  if (!v) return {};
  return with_key(name_, key, [&] {
    std::vector<int64_t> out;
    const Array& a = v->as_array();
    out.reserve(a.items.size());
    for (const auto& item : a.items) out.push_back(item.as_int());
    return out;
  });
}

const TensorInfo* File::find_tensor(std::string_view name) const {
  for (const auto& t : tensors_)
    if (t.name == name) return &t;
  return nullptr;
}

const TensorInfo& File::require_tensor(std::string_view name) const {
  if (const TensorInfo* t = find_tensor(name)) return *t;
  fail(Errc::format, name_ + ": required tensor '" + std::string(name) + "' is missing");
}

}  // namespace hearth::gguf
