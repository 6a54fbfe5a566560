// Metadata value accessors and constructors.
#include <string>

#include "core/error.h"
#include "gguf/gguf.h"

namespace hearth::gguf {

const char* value_type_name(ValueType t) {
  switch (t) {
    case ValueType::UINT8: return "uint8";
    case ValueType::INT8: return "int8";
    case ValueType::UINT16: return "uint16";
    case ValueType::INT16: return "int16";
    case ValueType::UINT32: return "uint32";
    case ValueType::INT32: return "int32";
    case ValueType::FLOAT32: return "float32";
    case ValueType::BOOL: return "bool";
    case ValueType::STRING: return "string";
    case ValueType::ARRAY: return "array";
    case ValueType::UINT64: return "uint64";
    case ValueType::INT64: return "int64";
    case ValueType::FLOAT64: return "float64";
  }
  return "unknown";
}

namespace {
[[noreturn]] void wrong_type(ValueType have, const char* want) {
  fail(Errc::format, std::string("metadata value is ") + value_type_name(have) + ", expected " + want);
}
}  // namespace

bool Value::is_integer() const {
  return std::holds_alternative<uint64_t>(v) || std::holds_alternative<int64_t>(v);
}

bool Value::is_number() const { return is_integer() || std::holds_alternative<double>(v); }

int64_t Value::as_int() const {
  if (const auto* s = std::get_if<int64_t>(&v)) return *s;
  if (const auto* u = std::get_if<uint64_t>(&v)) {
    if (*u > static_cast<uint64_t>(INT64_MAX))
      fail(Errc::format, "metadata value " + std::to_string(*u) + " does not fit in int64");
    return static_cast<int64_t>(*u);
  }
  wrong_type(type, "an integer");
}

uint64_t Value::as_uint() const {
  if (const auto* u = std::get_if<uint64_t>(&v)) return *u;
  if (const auto* s = std::get_if<int64_t>(&v)) {
    if (*s < 0) fail(Errc::format, "metadata value " + std::to_string(*s) + " is negative");
    return static_cast<uint64_t>(*s);
  }
  wrong_type(type, "an unsigned integer");
}

double Value::as_float() const {
  if (const auto* d = std::get_if<double>(&v)) return *d;
  if (const auto* u = std::get_if<uint64_t>(&v)) return static_cast<double>(*u);
  if (const auto* s = std::get_if<int64_t>(&v)) return static_cast<double>(*s);
  wrong_type(type, "a number");
}

bool Value::as_bool() const {
  if (const auto* b = std::get_if<bool>(&v)) return *b;
  wrong_type(type, "bool");
}

const std::string& Value::as_string() const {
  if (const auto* s = std::get_if<std::string>(&v)) return *s;
  wrong_type(type, "string");
}

const Array& Value::as_array() const {
  if (const auto* a = std::get_if<std::shared_ptr<Array>>(&v)) return **a;
  wrong_type(type, "array");
}

Value Value::u32(uint32_t x) { return Value{ValueType::UINT32, uint64_t{x}}; }
Value Value::i32(int32_t x) { return Value{ValueType::INT32, int64_t{x}}; }
Value Value::u64(uint64_t x) { return Value{ValueType::UINT64, x}; }
Value Value::f32(float x) { return Value{ValueType::FLOAT32, static_cast<double>(x)}; }
Value Value::boolean(bool x) { return Value{ValueType::BOOL, x}; }
Value Value::str(std::string s) { return Value{ValueType::STRING, std::move(s)}; }

Value Value::array(ValueType elem, std::vector<Value> items) {
  auto a = std::make_shared<Array>();
  a->elem_type = elem;
  a->items = std::move(items);
  return Value{ValueType::ARRAY, std::move(a)};
}

Value Value::strings(const std::vector<std::string>& items) {
  std::vector<Value> vals;
  vals.reserve(items.size());
  for (const auto& s : items) vals.push_back(str(s));
  return array(ValueType::STRING, std::move(vals));
}

}  // namespace hearth::gguf
