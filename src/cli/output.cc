#include "cli/output.h"

#include <algorithm>
#include <map>

namespace tresor::cli {
namespace {

constexpr std::string_view kGlue = "    ";
constexpr std::string_view kEmpty = "n/a";

std::string TrimSpacesAndTabs(std::string_view s) {
  size_t begin = s.find_first_not_of(" \t");
  if (begin == std::string_view::npos) return "";
  size_t end = s.find_last_not_of(" \t");
  return std::string(s.substr(begin, end - begin + 1));
}

// Display width as columnize counts it: code points, not bytes.
size_t Width(std::string_view s) {
  return static_cast<size_t>(std::count_if(
      s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

}  // namespace

std::string ColumnOutput(const std::vector<Row>& rows) {
  std::vector<Row> cells;
  cells.reserve(rows.size());
  std::vector<size_t> widths;
  for (const Row& row : rows) {
    Row trimmed;
    for (size_t i = 0; i < row.size(); ++i) {
      std::string cell = TrimSpacesAndTabs(row[i]);
      if (cell.empty()) cell = kEmpty;
      if (widths.size() <= i) widths.push_back(0);
      widths[i] = std::max(widths[i], Width(cell));
      trimmed.push_back(std::move(cell));
    }
    cells.push_back(std::move(trimmed));
  }
  std::string out;
  for (const Row& row : cells) {
    for (size_t i = 0; i < row.size(); ++i) {
      out += row[i];
      if (i + 1 < row.size()) {
        out.append(widths[i] - Width(row[i]), ' ');
        out += kGlue;
      }
    }
    out += '\n';
  }
  return out;
}

std::string TableOutput(const std::vector<Row>& rows) {
  if (rows.empty()) return "";
  std::vector<Row> with_underline;
  with_underline.reserve(rows.size() + 1);
  with_underline.push_back(rows[0]);
  Row underline;
  for (const std::string& header : rows[0])
    underline.push_back(std::string(Width(TrimSpacesAndTabs(header)), '-'));
  with_underline.push_back(std::move(underline));
  with_underline.insert(with_underline.end(), rows.begin() + 1, rows.end());
  return ColumnOutput(with_underline);
}

std::string FormatValue(const Json& value) {
  switch (value.type()) {
    case Json::value_t::string:
      return value.get<std::string>();
    case Json::value_t::null:
      return "<nil>";
    case Json::value_t::array: {
      std::string out = "[";
      for (size_t i = 0; i < value.size(); ++i) {
        if (i > 0) out += " ";
        out += FormatValue(value[i]);
      }
      return out + "]";
    }
    case Json::value_t::object: {
      std::map<std::string, const Json*> sorted;
      for (const auto& [key, member] : value.items()) sorted[key] = &member;
      std::string out = "map[";
      bool first = true;
      for (const auto& [key, member] : sorted) {
        if (!first) out += " ";
        first = false;
        out += key + ":" + FormatValue(*member);
      }
      return out + "]";
    }
    default:
      return value.dump();
  }
}

std::string KeyValueTable(const Json& object) {
  if (!object.is_object()) return "";
  std::map<std::string, const Json*> sorted;
  for (const auto& [key, member] : object.items()) sorted[key] = &member;
  std::vector<Row> rows = {{"Key", "Value"}};
  for (const auto& [key, member] : sorted) rows.push_back({key, FormatValue(*member)});
  return TableOutput(rows);
}

std::string FormatJson(const Json& value) { return value.dump(2) + "\n"; }

StatusOr<std::string> FormatField(const Json& object, std::string_view field) {
  if (object.is_object()) {
    auto it = object.find(std::string(field));
    if (it != object.end()) return FormatValue(*it) + "\n";
  }
  return NotFoundError("Field \"" + std::string(field) + "\" not present in secret");
}

std::string WrapAtLength(std::string_view text, size_t width) {
  std::string out;
  size_t line_start = 0;
  size_t pos = 0;
  while (pos < text.size()) {
    if (text[pos] == '\n') {
      out += '\n';
      line_start = out.size();
      ++pos;
      continue;
    }
    size_t word_end = text.find_first_of(" \n", pos);
    if (word_end == std::string_view::npos) word_end = text.size();
    std::string_view word = text.substr(pos, word_end - pos);
    size_t line_width = Width(std::string_view(out).substr(line_start));
    if (line_width > 0 && line_width + 1 + Width(word) > width) {
      out += '\n';
      line_start = out.size();
      line_width = 0;
    }
    if (line_width > 0) out += ' ';
    out += word;
    pos = word_end;
    while (pos < text.size() && text[pos] == ' ') ++pos;
  }
  return out;
}

}  // namespace tresor::cli
