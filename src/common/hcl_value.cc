// hcl::Value: constructors, typed accessors and DebugString. The parsers
// are in hcl_parser.cc (HCL) and hcl_json.cc (JSON, ToJson, ExpandBlock).
#include "common/hcl.h"


#include <algorithm>
#include <charconv>
#include <limits>
#include <map>
#include <system_error>
#include <utility>

#include "common/check.h"
#include "common/hcl_internal.h"

namespace tresor::hcl {
namespace internal {

bool IsIdentifierStart(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

bool IsIdentifierChar(char c) {
  return IsIdentifierStart(c) || (c >= '0' && c <= '9') || c == '-' || c == '.';
}

std::string PositionPrefix(Position p) {
  return "line " + std::to_string(p.line) + ", column " + std::to_string(p.column) + ": ";
}

}  // namespace internal

// ----------------------------------------------------------------- Value

std::string_view TypeName(Type type) {
  switch (type) {
    case Type::kNull:
      return "null";
    case Type::kBool:
      return "a bool";
    case Type::kInt:
      return "an integer";
    case Type::kFloat:
      return "a fractional number";
    case Type::kString:
      return "a string";
    case Type::kList:
      return "a list";
    case Type::kObject:
      return "an object";
  }
  return "an unknown type";
}

namespace {

Status TypeError(Type wanted, Type actual) {
  return InvalidArgumentError("expected " + std::string(TypeName(wanted)) + ", got " +
                              std::string(TypeName(actual)));
}

}  // namespace

Value Value::Null(Position position) {
  Value v;
  v.position_ = position;
  return v;
}

Value Value::Bool(bool value, Position position) {
  Value v = Null(position);
  v.data_ = value;
  return v;
}

Value Value::Int(int64_t value, Position position) {
  Value v = Null(position);
  v.data_ = value;
  return v;
}

Value Value::Float(double value, Position position) {
  Value v = Null(position);
  v.data_ = value;
  return v;
}

Value Value::String(std::string value, Position position) {
  Value v = Null(position);
  v.data_ = std::move(value);
  return v;
}

Value Value::MakeList(List items, Position position) {
  Value v = Null(position);
  v.data_ = std::move(items);
  return v;
}

Value Value::MakeObject(Object entries, Position position) {
  Value v = Null(position);
  v.data_ = std::move(entries);
  return v;
}

// The variant's alternatives are declared in the order of Type.
Type Value::type() const { return static_cast<Type>(data_.index()); }

StatusOr<bool> Value::AsBool() const {
  if (!IsBool()) return TypeError(Type::kBool, type());
  return bool_value();
}

StatusOr<int64_t> Value::AsInt() const {
  if (!IsInt()) return TypeError(Type::kInt, type());
  return int_value();
}

StatusOr<double> Value::AsDouble() const {
  if (IsInt()) return static_cast<double>(int_value());
  if (!IsFloat())
    return InvalidArgumentError("expected a number, got " + std::string(TypeName(type())));
  return float_value();
}

StatusOr<std::string> Value::AsString() const {
  if (!IsString()) return TypeError(Type::kString, type());
  return string_value();
}

StatusOr<const Value::List*> Value::AsList() const {
  if (!IsList()) return TypeError(Type::kList, type());
  return &list();
}

StatusOr<const Value::Object*> Value::AsObject() const {
  if (!IsObject()) return TypeError(Type::kObject, type());
  return &object();
}

bool Value::bool_value() const {
  TRESOR_CHECK(IsBool());
  return std::get<bool>(data_);
}

int64_t Value::int_value() const {
  TRESOR_CHECK(IsInt());
  return std::get<int64_t>(data_);
}

double Value::float_value() const {
  TRESOR_CHECK(IsFloat());
  return std::get<double>(data_);
}

const std::string& Value::string_value() const {
  TRESOR_CHECK(IsString());
  return std::get<std::string>(data_);
}

const Value::List& Value::list() const {
  TRESOR_CHECK(IsList());
  return std::get<List>(data_);
}

const Value::Object& Value::object() const {
  TRESOR_CHECK(IsObject());
  return std::get<Object>(data_);
}

const Value* Value::Find(std::string_view key) const {
  if (!IsObject()) return nullptr;
  for (const ObjectEntry& entry : object()) {
    if (entry.key == key) return &entry.value;
  }
  return nullptr;
}

std::vector<const ObjectEntry*> Value::FindAll(std::string_view key) const {
  std::vector<const ObjectEntry*> found;
  if (!IsObject()) return found;
  for (const ObjectEntry& entry : object()) {
    if (entry.key == key) found.push_back(&entry);
  }
  return found;
}

namespace {

using internal::IsIdentifierChar;
using internal::IsIdentifierStart;

bool IsPlainIdentifier(std::string_view s) {
  if (s.empty() || !IsIdentifierStart(s.front())) return false;
  for (char c : s) {
    if (!IsIdentifierChar(c)) return false;
  }
  return true;
}

std::string QuoteForDisplay(std::string_view s) {
  return nlohmann::json(std::string(s))
      .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string FormatDouble(double d) {
  char buffer[64];
  auto [end, ec] = std::to_chars(buffer, buffer + sizeof(buffer), d);
  std::string out(buffer, ec == std::errc() ? end : buffer);
  // Keep floats visibly distinct from integers.
  if (out.find_first_of(".eEn") == std::string::npos) out += ".0";
  return out;
}

}  // namespace

std::string Value::DebugString() const {
  switch (type()) {
    case Type::kNull:
      return "null";
    case Type::kBool:
      return bool_value() ? "true" : "false";
    case Type::kInt:
      return std::to_string(int_value());
    case Type::kFloat:
      return FormatDouble(float_value());
    case Type::kString:
      return QuoteForDisplay(string_value());
    case Type::kList: {
      std::string out = "[";
      for (std::size_t i = 0; i < list().size(); ++i) {
        if (i > 0) out += ", ";
        out += list()[i].DebugString();
      }
      return out + "]";
    }
    case Type::kObject: {
      std::string out = "{";
      for (std::size_t i = 0; i < object().size(); ++i) {
        const ObjectEntry& entry = object()[i];
        if (i > 0) out += ", ";
        out += IsPlainIdentifier(entry.key) ? entry.key : QuoteForDisplay(entry.key);
        out += " = " + entry.value.DebugString();
      }
      return out + "}";
    }
  }
  return "?";
}

}  // namespace tresor::hcl
