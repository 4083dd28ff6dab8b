// The JSON front end of the HCL parser, ToJson and ExpandBlock.
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
namespace {

using internal::PositionPrefix;

// ----------------------------------------------------------- JSON front end

using OrderedJson = nlohmann::ordered_json;

StatusOr<Value> FromJson(const OrderedJson& json, int depth) {
  if (depth > kMaxNestingDepth) {
    return InvalidArgumentError("nesting deeper than " + std::to_string(kMaxNestingDepth) +
                                " levels is not allowed");
  }
  switch (json.type()) {
    case OrderedJson::value_t::null:
      return Value::Null();
    case OrderedJson::value_t::boolean:
      return Value::Bool(json.get<bool>());
    case OrderedJson::value_t::number_integer:
      return Value::Int(json.get<int64_t>());
    case OrderedJson::value_t::number_unsigned: {
      const uint64_t n = json.get<uint64_t>();
      if (n > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
        return InvalidArgumentError("number " + std::to_string(n) +
                                    " is out of range for a 64-bit integer");
      }
      return Value::Int(static_cast<int64_t>(n));
    }
    case OrderedJson::value_t::number_float:
      return Value::Float(json.get<double>());
    case OrderedJson::value_t::string:
      return Value::String(json.get<std::string>());
    case OrderedJson::value_t::array: {
      Value::List items;
      for (const OrderedJson& item : json) {
        TRESOR_ASSIGN_OR_RETURN(Value v, FromJson(item, depth + 1));
        items.push_back(std::move(v));
      }
      return Value::MakeList(std::move(items));
    }
    case OrderedJson::value_t::object: {
      Value::Object entries;
      for (const auto& [key, item] : json.items()) {
        TRESOR_ASSIGN_OR_RETURN(Value v, FromJson(item, depth + 1));
        entries.push_back(ObjectEntry{key, Position{}, std::move(v)});
      }
      return Value::MakeObject(std::move(entries));
    }
    case OrderedJson::value_t::binary:
    case OrderedJson::value_t::discarded:
      break;
  }
  return InvalidArgumentError("unsupported JSON value");
}

// nlohmann's message minus its "[json.exception...] parse error at ...: "
// prefix and minus "last read: '...'", which echoes input that may be secret.
std::string DescribeJsonError(std::string_view what) {
  std::size_t start = what.find("column ");
  start = start == std::string_view::npos ? 0 : what.find(": ", start);
  start = start == std::string_view::npos ? 0 : start + 2;
  std::string_view message = what.substr(start);
  const std::size_t last_read = message.find("; last read: ");
  if (last_read == std::string_view::npos) return std::string(message);
  std::string out(message.substr(0, last_read));
  const std::size_t expected = message.rfind("; expected ");
  if (expected != std::string_view::npos && expected > last_read) {
    out += message.substr(expected);
  }
  return out;
}

Position PositionOfByte(std::string_view text, std::size_t byte) {
  Position p{1, 1};
  // nlohmann reports the 1-based count of bytes read; the error is at the last.
  const std::size_t end = std::min(byte > 0 ? byte - 1 : 0, text.size());
  for (std::size_t i = 0; i < end; ++i) {
    if (text[i] == '\n') {
      ++p.line;
      p.column = 1;
    } else {
      ++p.column;
    }
  }
  return p;
}

void ExpandInto(const Value& value, std::vector<std::string>& labels, int remaining,
                Position position, std::vector<Block>& out, bool& bad_shape, Type& bad_type) {
  if (bad_shape) return;
  if (value.IsList()) {
    for (const Value& item : value.list()) {
      ExpandInto(item, labels, remaining, position, out, bad_shape, bad_type);
    }
    return;
  }
  if (!value.IsObject()) {
    bad_shape = true;
    bad_type = value.type();
    return;
  }
  if (remaining == 0) {
    out.push_back(Block{labels, &value, position});
    return;
  }
  for (const ObjectEntry& entry : value.object()) {
    labels.push_back(entry.key);
    ExpandInto(entry.value, labels, remaining - 1, entry.position, out, bad_shape, bad_type);
    labels.pop_back();
  }
}

}  // namespace

StatusOr<Value> ParseJson(std::string_view text) {
  OrderedJson json;
  try {
    json = OrderedJson::parse(text);
  } catch (const OrderedJson::parse_error& e) {
    return InvalidArgumentError(PositionPrefix(PositionOfByte(text, e.byte)) +
                                "invalid JSON: " + DescribeJsonError(e.what()));
  } catch (const OrderedJson::exception& e) {
    return InvalidArgumentError("invalid JSON: " + DescribeJsonError(e.what()));
  }
  return FromJson(json, 0);
}

StatusOr<Value> Parse(std::string_view text, std::string_view filename) {
  const bool is_json = filename.size() >= 5 && filename.substr(filename.size() - 5) == ".json";
  StatusOr<Value> parsed = is_json ? ParseJson(text) : ParseHcl(text);
  if (!parsed.ok() && !filename.empty()) return parsed.status().WithContext(filename);
  return parsed;
}

nlohmann::json ToJson(const Value& value) {
  switch (value.type()) {
    case Type::kNull:
      return nullptr;
    case Type::kBool:
      return value.bool_value();
    case Type::kInt:
      return value.int_value();
    case Type::kFloat:
      return value.float_value();
    case Type::kString:
      return value.string_value();
    case Type::kList: {
      nlohmann::json array = nlohmann::json::array();
      for (const Value& item : value.list()) array.push_back(ToJson(item));
      return array;
    }
    case Type::kObject: {
      nlohmann::json object = nlohmann::json::object();
      std::map<std::string_view, int> seen;
      for (const ObjectEntry& entry : value.object()) {
        int& count = seen[entry.key];
        if (++count == 1) {
          object[entry.key] = ToJson(entry.value);
        } else if (count == 2) {
          object[entry.key] =
              nlohmann::json::array({std::move(object[entry.key]), ToJson(entry.value)});
        } else {
          object[entry.key].push_back(ToJson(entry.value));
        }
      }
      return object;
    }
  }
  return nullptr;
}

StatusOr<std::vector<Block>> ExpandBlock(const ObjectEntry& entry, int label_count) {
  std::vector<Block> blocks;
  std::vector<std::string> labels;
  bool bad_shape = false;
  Type bad_type = Type::kNull;
  ExpandInto(entry.value, labels, label_count, entry.position, blocks, bad_shape, bad_type);
  if (bad_shape) {
    std::string example = entry.key;
    for (int i = 0; i < label_count; ++i) example += " \"...\"";
    return InvalidArgumentError("expected a block (" + example + " { ... }), got " +
                                std::string(TypeName(bad_type)));
  }
  return blocks;
}

}  // namespace tresor::hcl
