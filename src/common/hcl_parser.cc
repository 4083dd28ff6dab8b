// The HCL1 parser: character-level recursive descent, no separate token
// list, so every error can point at the exact byte where things went wrong.
// See hcl.h for the accepted language.
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

// ------------------------------------------------------------ HCL parser

namespace {

using internal::IsIdentifierChar;
using internal::IsIdentifierStart;
using internal::PositionPrefix;

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

}  // namespace

StatusOr<Value> ParseHcl(std::string_view text) { return Parser(text).ParseFile(); }

}  // namespace tresor::hcl
