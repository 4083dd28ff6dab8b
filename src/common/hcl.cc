// HCL1 parser (character-level recursive descent, no separate token list:
// every error can point at the exact byte where things went wrong), the JSON
// front end, and the Value helpers. See hcl.h for the accepted language.
#include "common/hcl.h"

#include <algorithm>
#include <charconv>
#include <limits>
#include <map>
#include <system_error>
#include <utility>

#include "common/check.h"

namespace tresor::hcl {

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

bool IsIdentifierStart(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

bool IsIdentifierChar(char c) {
  return IsIdentifierStart(c) || (c >= '0' && c <= '9') || c == '-' || c == '.';
}

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

// ------------------------------------------------------------ HCL parser

namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

int HexDigitValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

void AppendUtf8(uint32_t code_point, std::string& out) {
  if (code_point < 0x80) {
    out += static_cast<char>(code_point);
  } else if (code_point < 0x800) {
    out += static_cast<char>(0xC0 | (code_point >> 6));
    out += static_cast<char>(0x80 | (code_point & 0x3F));
  } else if (code_point < 0x10000) {
    out += static_cast<char>(0xE0 | (code_point >> 12));
    out += static_cast<char>(0x80 | ((code_point >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (code_point & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (code_point >> 18));
    out += static_cast<char>(0x80 | ((code_point >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((code_point >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (code_point & 0x3F));
  }
}

// Length of the valid UTF-8 sequence starting at s[i], or 0 if invalid.
std::size_t Utf8SequenceLength(std::string_view s, std::size_t i) {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char lead = byte(i);
  if (lead < 0x80) return 1;
  std::size_t length;
  uint32_t min_code_point;
  uint32_t code_point;
  if ((lead & 0xE0) == 0xC0) {
    length = 2, min_code_point = 0x80, code_point = lead & 0x1F;
  } else if ((lead & 0xF0) == 0xE0) {
    length = 3, min_code_point = 0x800, code_point = lead & 0x0F;
  } else if ((lead & 0xF8) == 0xF0) {
    length = 4, min_code_point = 0x10000, code_point = lead & 0x07;
  } else {
    return 0;
  }
  if (i + length > s.size()) return 0;
  for (std::size_t k = 1; k < length; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) return 0;
    code_point = (code_point << 6) | (byte(i + k) & 0x3F);
  }
  if (code_point < min_code_point || code_point > 0x10FFFF) return 0;
  if (code_point >= 0xD800 && code_point <= 0xDFFF) return 0;
  return length;
}

std::string PositionPrefix(Position p) {
  return "line " + std::to_string(p.line) + ", column " + std::to_string(p.column) + ": ";
}

class Parser {
 public:
  explicit Parser(std::string_view text) : text_(text) {}

  StatusOr<Value> ParseFile() {
    TRESOR_RETURN_IF_ERROR(CheckUtf8());
    const Position start = Here();
    TRESOR_ASSIGN_OR_RETURN(Value::Object entries, ParseBody(/*depth=*/0, /*open=*/nullptr));
    return Value::MakeObject(std::move(entries), start);
  }

 private:
  Position Here() const { return {line_, column_}; }
  bool AtEnd() const { return pos_ >= text_.size(); }
  char Peek(std::size_t ahead = 0) const {
    return pos_ + ahead < text_.size() ? text_[pos_ + ahead] : '\0';
  }
  void Advance() {
    if (AtEnd()) return;
    if (text_[pos_] == '\n') {
      ++line_;
      column_ = 1;
    } else {
      ++column_;
    }
    ++pos_;
  }

  Status ErrorAt(Position p, std::string message) const {
    return InvalidArgumentError(PositionPrefix(p) + message);
  }

  // Names the character under the cursor for messages: "'}'", "end of input".
  std::string DescribeHere() const {
    if (AtEnd()) return "end of input";
    const char c = Peek();
    if (c == '\n' || c == '\r') return "end of line";
    if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7F) {
      return "an unexpected character";
    }
    if (IsIdentifierStart(c)) return "\"" + std::string(PeekIdentifier()) + "\"";
    return std::string("'") + c + "'";
  }

  std::string_view PeekIdentifier() const {
    std::size_t end = pos_;
    while (end < text_.size() && IsIdentifierChar(text_[end])) ++end;
    return text_.substr(pos_, end - pos_);
  }

  Status CheckUtf8() {
    while (!AtEnd()) {
      const std::size_t length = Utf8SequenceLength(text_, pos_);
      if (length == 0) return ErrorAt(Here(), "invalid UTF-8; the file must be UTF-8 text");
      for (std::size_t k = 0; k < length; ++k) Advance();
    }
    pos_ = 0;
    line_ = column_ = 1;
    return Status::Ok();
  }

  // Skips whitespace (newlines included) and comments.
  Status SkipSpace() {
    while (!AtEnd()) {
      const char c = Peek();
      if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
        Advance();
      } else if (c == '#' || (c == '/' && Peek(1) == '/')) {
        while (!AtEnd() && Peek() != '\n') Advance();
      } else if (c == '/' && Peek(1) == '*') {
        const Position start = Here();
        Advance();
        Advance();
        while (!AtEnd() && !(Peek() == '*' && Peek(1) == '/')) Advance();
        if (AtEnd()) return ErrorAt(start, "unterminated comment: '/*' has no closing '*/'");
        Advance();
        Advance();
      } else {
        break;
      }
    }
    return Status::Ok();
  }

  // Entries until the '}' matching `open` (consumed), or until the end of
  // input for the top level (open == nullptr).
  StatusOr<Value::Object> ParseBody(int depth, const Position* open) {
    Value::Object entries;
    bool comma_allowed = false;
    while (true) {
      TRESOR_RETURN_IF_ERROR(SkipSpace());
      if (AtEnd()) {
        if (open == nullptr) return entries;
        return ErrorAt(*open, "'{' is never closed: add the missing '}'");
      }
      if (Peek() == '}') {
        if (open == nullptr) return ErrorAt(Here(), "unexpected '}' with no matching '{'");
        Advance();
        return entries;
      }
      if (Peek() == ',' && comma_allowed) {
        Advance();
        comma_allowed = false;
        continue;
      }
      TRESOR_ASSIGN_OR_RETURN(ObjectEntry entry, ParseEntry(depth));
      entries.push_back(std::move(entry));
      comma_allowed = true;
    }
  }

  // A key (identifier or quoted string) at the cursor.
  StatusOr<std::string> ParseKey(std::string_view what) {
    if (Peek() == '"') return ParseQuotedString();
    if (IsIdentifierStart(Peek())) {
      std::string key(PeekIdentifier());
      for (std::size_t i = 0; i < key.size(); ++i) Advance();
      return key;
    }
    if (Peek() == '=') return ErrorAt(Here(), "missing " + std::string(what) + " before '='");
    return ErrorAt(Here(), "expected " + std::string(what) +
                               " (a name or a quoted string), found " + DescribeHere());
  }

  // `key = value`, or a block `key ["label"...] { body }`.
  StatusOr<ObjectEntry> ParseEntry(int depth) {
    ObjectEntry entry;
    entry.position = Here();
    TRESOR_ASSIGN_OR_RETURN(entry.key, ParseKey("a key"));
    const Position key_end = Here();
    TRESOR_RETURN_IF_ERROR(SkipSpace());
    if (Peek() == '=') {
      Advance();
      TRESOR_RETURN_IF_ERROR(SkipSpace());
      TRESOR_ASSIGN_OR_RETURN(entry.value, ParseValue(depth + 1, entry.key));
      return entry;
    }
    std::vector<std::pair<std::string, Position>> labels;
    while (Peek() == '"' || IsIdentifierStart(Peek())) {
      const Position label_position = Here();
      TRESOR_ASSIGN_OR_RETURN(std::string label, ParseKey("a block label"));
      labels.emplace_back(std::move(label), label_position);
      TRESOR_RETURN_IF_ERROR(SkipSpace());
    }
    if (Peek() != '{') {
      // `foo` alone on a line followed by `bar = 1`: the mistake is on the
      // first line, not a block header spanning two lines.
      const bool label_on_later_line = !labels.empty() && labels[0].second.line > key_end.line;
      if (label_on_later_line && Peek() == '=') {
        return ErrorAt(key_end, "missing '=' after key \"" + entry.key + "\"");
      }
      if (labels.empty()) {
        return ErrorAt(
            Here(), "missing '=' after key \"" + entry.key + "\" (found " + DescribeHere() + ")");
      }
      return ErrorAt(Here(), "expected '{' to open the block \"" + entry.key +
                                 "\" after its labels, found " + DescribeHere() +
                                 " (for a plain value, write key = value)");
    }
    if (depth + static_cast<int>(labels.size()) + 1 > kMaxNestingDepth) {
      return ErrorAt(Here(), "nesting deeper than " + std::to_string(kMaxNestingDepth) +
                                 " levels is not allowed");
    }
    TRESOR_ASSIGN_OR_RETURN(Value body, ParseObject(depth + 1));
    // HCL1: `name "a" "b" { body }` is name = { a = { b = body } }.
    for (auto it = labels.rbegin(); it != labels.rend(); ++it) {
      ObjectEntry nested{it->first, it->second, std::move(body)};
      Value::Object wrapper;
      wrapper.push_back(std::move(nested));
      body = Value::MakeObject(std::move(wrapper), it->second);
    }
    entry.value = std::move(body);
    return entry;
  }

  StatusOr<Value> ParseObject(int depth) {
    const Position open = Here();
    Advance();  // '{'
    TRESOR_ASSIGN_OR_RETURN(Value::Object entries, ParseBody(depth, &open));
    return Value::MakeObject(std::move(entries), open);
  }

  // A value for `key` (used only in messages).
  StatusOr<Value> ParseValue(int depth, std::string_view key) {
    const Position start = Here();
    if (depth > kMaxNestingDepth) {
      return ErrorAt(start, "nesting deeper than " + std::to_string(kMaxNestingDepth) +
                                " levels is not allowed");
    }
    const char c = Peek();
    if (c == '"') {
      TRESOR_ASSIGN_OR_RETURN(std::string s, ParseQuotedString());
      return Value::String(std::move(s), start);
    }
    if (c == '<' && Peek(1) == '<') {
      TRESOR_ASSIGN_OR_RETURN(std::string s, ParseHeredoc());
      return Value::String(std::move(s), start);
    }
    if (c == '-' || c == '+' || c == '.' || IsDigit(c)) return ParseNumber();
    if (c == '[') return ParseList(depth, key);
    if (c == '{') return ParseObject(depth);
    if (IsIdentifierStart(c)) {
      const std::string_view word = PeekIdentifier();
      if (word == "true" || word == "false") {
        for (std::size_t i = 0; i < word.size(); ++i) Advance();
        return Value::Bool(word == "true", start);
      }
      return ErrorAt(start, "expected a value for \"" + std::string(key) + "\", found \"" +
                                std::string(word) + "\"; if it is text, put it in double quotes");
    }
    if (c == '\'') return ErrorAt(start, "strings use double quotes, not single quotes");
    return ErrorAt(start, "expected a value for \"" + std::string(key) +
                              "\" (a string, number, bool, list or object), found " +
                              DescribeHere());
  }

  StatusOr<Value> ParseList(int depth, std::string_view key) {
    const Position open = Here();
    Advance();  // '['
    Value::List items;
    while (true) {
      TRESOR_RETURN_IF_ERROR(SkipSpace());
      if (AtEnd()) return ErrorAt(open, "'[' is never closed: add the missing ']'");
      if (Peek() == ']') break;
      TRESOR_ASSIGN_OR_RETURN(Value item, ParseValue(depth + 1, key));
      items.push_back(std::move(item));
      TRESOR_RETURN_IF_ERROR(SkipSpace());
      if (Peek() == ',') {
        Advance();
      } else if (AtEnd()) {
        return ErrorAt(open, "'[' is never closed: add the missing ']'");
      } else if (Peek() != ']') {
        return ErrorAt(Here(), "expected ',' or ']' after a list element, found " + DescribeHere());
      }
    }
    Advance();  // ']'
    return Value::MakeList(std::move(items), open);
  }

  StatusOr<Value> ParseNumber() {
    const Position start = Here();
    const std::size_t begin = pos_;
    // Take the whole word so that "10s" is reported as one bad number rather
    // than a number followed by a stray identifier.
    while (!AtEnd()) {
      const char c = Peek();
      const char prev = pos_ > begin ? text_[pos_ - 1] : '\0';
      if (c == '-' || c == '+') {
        // A sign only leads the number or its exponent.
        if (pos_ != begin && prev != 'e' && prev != 'E') break;
      } else if (!IsIdentifierChar(c)) {
        break;
      }
      Advance();
    }
    const std::string_view word = text_.substr(begin, pos_ - begin);
    // -?digits(.digits)?([eE][+-]?digits)?
    std::size_t i = 0;
    const auto digits = [&] {
      const std::size_t from = i;
      while (i < word.size() && IsDigit(word[i])) ++i;
      return i > from;
    };
    bool valid = true;
    bool is_float = false;
    if (i < word.size() && word[i] == '-') ++i;
    valid = digits();
    if (valid && i < word.size() && word[i] == '.') {
      ++i;
      is_float = true;
      valid = digits();
    }
    if (valid && i < word.size() && (word[i] == 'e' || word[i] == 'E')) {
      ++i;
      is_float = true;
      if (i < word.size() && (word[i] == '+' || word[i] == '-')) ++i;
      valid = digits();
    }
    if (!valid || i != word.size()) {
      return ErrorAt(start, "invalid number \"" + std::string(word) +
                                "\"; if it is text (such as a duration), put it in double quotes");
    }
    const char* first = word.data();
    const char* last = word.data() + word.size();
    if (is_float) {
      double d = 0;
      auto [end, ec] = std::from_chars(first, last, d);
      if (ec != std::errc() || end != last) {
        return ErrorAt(start, "number \"" + std::string(word) + "\" is out of range");
      }
      return Value::Float(d, start);
    }
    int64_t n = 0;
    auto [end, ec] = std::from_chars(first, last, n);
    if (ec != std::errc() || end != last) {
      return ErrorAt(start,
                     "number \"" + std::string(word) + "\" is out of range for a 64-bit integer");
    }
    return Value::Int(n, start);
  }

  // A "..." string at the cursor, escapes decoded.
  StatusOr<std::string> ParseQuotedString() {
    const Position start = Here();
    Advance();  // '"'
    std::string out;
    while (true) {
      if (AtEnd() || Peek() == '\n') {
        return ErrorAt(start, "unterminated string: add the closing '\"' on the same line");
      }
      const char c = Peek();
      if (c == '"') {
        Advance();
        return out;
      }
      if (c == '\\') {
        TRESOR_RETURN_IF_ERROR(ParseEscape(out));
        continue;
      }
      out += c;
      Advance();
    }
  }

  // The escape sequence at the cursor (which is on the backslash).
  Status ParseEscape(std::string& out) {
    const Position start = Here();
    Advance();  // '\'
    const char c = Peek();
    switch (c) {
      case 'n':
        out += '\n';
        break;
      case 't':
        out += '\t';
        break;
      case 'r':
        out += '\r';
        break;
      case 'b':
        out += '\b';
        break;
      case 'f':
        out += '\f';
        break;
      case '"':
        out += '"';
        break;
      case '\\':
        out += '\\';
        break;
      case '/':
        out += '/';
        break;
      case 'u':
      case 'U': {
        Advance();
        TRESOR_ASSIGN_OR_RETURN(uint32_t code_point, ParseHex(start, c == 'u' ? 4 : 8));
        if (c == 'u' && code_point >= 0xD800 && code_point <= 0xDBFF && Peek() == '\\' &&
            Peek(1) == 'u') {
          Advance();
          Advance();
          TRESOR_ASSIGN_OR_RETURN(uint32_t low, ParseHex(start, 4));
          if (low < 0xDC00 || low > 0xDFFF) {
            return ErrorAt(start,
                           "invalid escape: a \\uD800-\\uDBFF surrogate must be "
                           "followed by a \\uDC00-\\uDFFF one");
          }
          code_point = 0x10000 + ((code_point - 0xD800) << 10) + (low - 0xDC00);
        }
        if ((code_point >= 0xD800 && code_point <= 0xDFFF) || code_point > 0x10FFFF) {
          return ErrorAt(start,
                         "invalid escape: not a Unicode character (unpaired surrogate "
                         "or beyond U+10FFFF)");
        }
        AppendUtf8(code_point, out);
        return Status::Ok();
      }
      default: {
        const std::string shown = AtEnd() || c == '\n' ? "\\" : std::string("\\") + c;
        return ErrorAt(start, "invalid escape sequence '" + shown +
                                  "' in string (valid: \\n \\t \\r \\\" \\\\ \\uXXXX); "
                                  "write \\\\ for a literal backslash");
      }
    }
    Advance();
    return Status::Ok();
  }

  StatusOr<uint32_t> ParseHex(Position escape_start, int count) {
    uint32_t value = 0;
    for (int k = 0; k < count; ++k) {
      const int digit = HexDigitValue(Peek());
      if (AtEnd() || digit < 0) {
        return ErrorAt(escape_start, "invalid escape: \\" + std::string(count == 4 ? "u" : "U") +
                                         " needs exactly " + std::to_string(count) + " hex digits");
      }
      value = value * 16 + static_cast<uint32_t>(digit);
      Advance();
    }
    return value;
  }

  // <<EOF ... EOF or <<-EOF ... EOF at the cursor. The closing line may be
  // indented in both forms; <<- also removes the common indentation.
  StatusOr<std::string> ParseHeredoc() {
    const Position start = Here();
    Advance();
    Advance();  // "<<"
    const bool strip_indent = Peek() == '-';
    if (strip_indent) Advance();
    std::string anchor;
    while (IsIdentifierStart(Peek()) || IsDigit(Peek())) {
      anchor += Peek();
      Advance();
    }
    if (anchor.empty()) return ErrorAt(start, "a heredoc needs a name after '<<', e.g. <<EOF");
    while (Peek() == ' ' || Peek() == '\t' || Peek() == '\r') Advance();
    if (!AtEnd() && Peek() != '\n') {
      return ErrorAt(Here(), "the text of heredoc <<" + anchor + " must start on the next line");
    }
    std::vector<std::string_view> lines;
    while (true) {
      if (AtEnd()) {
        return ErrorAt(start, "unterminated heredoc: add a line containing only \"" + anchor +
                                  "\" to close it");
      }
      Advance();  // '\n'
      const std::size_t line_start = pos_;
      while (!AtEnd() && Peek() != '\n') Advance();
      std::string_view line = text_.substr(line_start, pos_ - line_start);
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      const std::size_t first = line.find_first_not_of(" \t");
      if (first != std::string_view::npos && line.substr(first) == anchor) break;
      lines.push_back(line);
    }
    std::size_t indent = 0;
    if (strip_indent) {
      indent = std::string_view::npos;
      for (std::string_view line : lines) {
        const std::size_t first = line.find_first_not_of(" \t");
        if (first != std::string_view::npos && first < indent) indent = first;
      }
      if (indent == std::string_view::npos) indent = 0;
    }
    std::string out;
    for (std::string_view line : lines) {
      out += line.substr(std::min(indent, line.size()));
      out += '\n';
    }
    return out;
  }

  std::string_view text_;
  std::size_t pos_ = 0;
  int line_ = 1;
  int column_ = 1;
};

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

StatusOr<Value> ParseHcl(std::string_view text) { return Parser(text).ParseFile(); }

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
