#include "cli/commands/policy_format.h"

#include <nlohmann/json.hpp>

#include "common/hcl.h"

namespace tresor::cli {
namespace {

bool IsIdentifier(std::string_view key) {
  if (key.empty()) return false;
  for (char c : key) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-' || c == '.';
    if (!ok) return false;
  }
  return !(key[0] >= '0' && key[0] <= '9');
}

std::string Quote(std::string_view text) { return nlohmann::json(std::string(text)).dump(); }

std::string Key(std::string_view key) { return IsIdentifier(key) ? std::string(key) : Quote(key); }

std::string Scalar(const hcl::Value& value) {
  switch (value.type()) {
    case hcl::Type::kNull:
      return "null";
    case hcl::Type::kBool:
      return value.bool_value() ? "true" : "false";
    case hcl::Type::kInt:
      return std::to_string(value.int_value());
    case hcl::Type::kFloat:
      return nlohmann::json(value.float_value()).dump();
    case hcl::Type::kString:
      return Quote(value.string_value());
    case hcl::Type::kList: {
      std::string out = "[";
      for (size_t i = 0; i < value.list().size(); ++i) {
        if (i > 0) out += ", ";
        out += Scalar(value.list()[i]);
      }
      return out + "]";
    }
    case hcl::Type::kObject: {
      // An object inside a list: inline, as HCL allows.
      std::string out = "{";
      for (size_t i = 0; i < value.object().size(); ++i) {
        const hcl::ObjectEntry& entry = value.object()[i];
        out += (i > 0 ? ", " : " ") + Key(entry.key) + " = " + Scalar(entry.value);
      }
      return out + (value.object().empty() ? "}" : " }");
    }
  }
  return "";
}

void Body(const hcl::Value& object, int depth, std::string& out);

// An entry whose value is an object prints as a block; single-entry objects
// of objects become its labels (`path "secret/*" {`), which is how HCL
// decodes them in the first place.
void Block(const hcl::ObjectEntry& entry, int depth, std::string& out) {
  std::string indent(static_cast<size_t>(depth) * 2, ' ');
  std::string head = indent + Key(entry.key);
  const hcl::Value* body = &entry.value;
  while (body->object().size() == 1 && body->object()[0].value.IsObject()) {
    head += " " + Quote(body->object()[0].key);
    body = &body->object()[0].value;
  }
  if (body->object().empty()) {
    out += head + " {}\n";
    return;
  }
  out += head + " {\n";
  Body(*body, depth + 1, out);
  out += indent + "}\n";
}

void Body(const hcl::Value& object, int depth, std::string& out) {
  std::string indent(static_cast<size_t>(depth) * 2, ' ');
  const auto& entries = object.object();
  size_t i = 0;
  while (i < entries.size()) {
    if (entries[i].value.IsObject()) {
      if (depth == 0 && !out.empty()) out += "\n";
      Block(entries[i], depth, out);
      ++i;
      continue;
    }
    // A run of assignments, '=' aligned on the longest key.
    size_t end = i;
    size_t width = 0;
    while (end < entries.size() && !entries[end].value.IsObject()) {
      width = std::max(width, Key(entries[end].key).size());
      ++end;
    }
    if (depth == 0 && !out.empty()) out += "\n";
    for (; i < end; ++i) {
      std::string key = Key(entries[i].key);
      out += indent + key + std::string(width - key.size(), ' ') + " = " +
             Scalar(entries[i].value) + "\n";
    }
  }
}

}  // namespace

bool HasHclComment(std::string_view text) {
  size_t i = 0;
  while (i < text.size()) {
    char c = text[i];
    if (c == '"') {
      for (++i; i < text.size() && text[i] != '"'; ++i) {
        if (text[i] == '\\') ++i;
      }
      ++i;
    } else if (c == '<' && text.substr(i, 2) == "<<") {
      // A heredoc: skip to the line holding only its marker.
      size_t start = i + 2 + (text.substr(i + 2, 1) == "-" ? 1 : 0);
      size_t eol = text.find('\n', start);
      if (eol == std::string_view::npos) return false;
      std::string_view marker = text.substr(start, eol - start);
      while (!marker.empty() && (marker.back() == '\r' || marker.back() == ' '))
        marker.remove_suffix(1);
      i = eol + 1;
      while (i < text.size()) {
        size_t line_end = text.find('\n', i);
        std::string_view line =
            text.substr(i, line_end == std::string_view::npos ? text.size() - i : line_end - i);
        size_t first = line.find_first_not_of(" \t");
        i = line_end == std::string_view::npos ? text.size() : line_end + 1;
        if (first != std::string_view::npos && line.substr(first).starts_with(marker) &&
            line.substr(first + marker.size()).find_first_not_of(" \t\r") ==
                std::string_view::npos) {
          break;
        }
      }
    } else if (c == '#' ||
               (c == '/' && i + 1 < text.size() && (text[i + 1] == '/' || text[i + 1] == '*'))) {
      return true;
    } else {
      ++i;
    }
  }
  return false;
}

StatusOr<std::string> FormatPolicy(std::string_view text, std::string_view filename) {
  // Rewriting a JSON file as HCL would change its format under its name.
  if (filename.ends_with(".json")) {
    return InvalidArgumentError(std::string(filename) + ": only HCL policies can be formatted");
  }
  if (HasHclComment(text)) {
    return InvalidArgumentError(std::string(filename) +
                                ": has comments, which Tresor's formatter would drop; the "
                                "file was left unchanged");
  }
  TRESOR_ASSIGN_OR_RETURN(hcl::Value root, hcl::Parse(text, filename));
  std::string out;
  Body(root, 0, out);
  return out;
}

}  // namespace tresor::cli
