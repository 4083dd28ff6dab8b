#include "command/flags.h"

#include <cctype>
#include <charconv>
#include <cmath>
#include <sstream>
#include <utility>

#include "common/check.h"

namespace tresor::command {
namespace {

// Go's unit table. Both micro signs are accepted, as Go does.
struct Unit {
  std::string_view name;
  double nanos;
};
constexpr Unit kUnits[] = {
    {"ns", 1.0}, {"us", 1e3}, {"\xC2\xB5s", 1e3}, {"\xCE\xBCs", 1e3},
    {"ms", 1e6}, {"s", 1e9},  {"m", 60e9},        {"h", 3600e9},
};

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

StatusOr<std::chrono::nanoseconds> DurationError(std::string_view text) {
  return InvalidArgumentError("time: invalid duration \"" + std::string(text) + "\"");
}

}  // namespace

StatusOr<std::chrono::nanoseconds> ParseDuration(std::string_view text) {
  std::string_view s = text;
  if (s.empty()) return DurationError(text);
  // A bare integer means seconds (Vault's parseutil.ParseDurationSecond).
  {
    int64_t seconds = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), seconds);
    if (ec == std::errc() && end == s.data() + s.size()) {
      if (seconds > INT64_MAX / 1'000'000'000 || seconds < INT64_MIN / 1'000'000'000) {
        return DurationError(text);
      }
      return std::chrono::nanoseconds(seconds * 1'000'000'000);
    }
  }
  bool negative = false;
  if (s[0] == '-' || s[0] == '+') {
    negative = s[0] == '-';
    s.remove_prefix(1);
  }
  if (s == "0") return std::chrono::nanoseconds(0);
  if (s.empty()) return DurationError(text);
  double total = 0;
  while (!s.empty()) {
    // A number: digits, optionally '.' and more digits; at least one digit.
    size_t i = 0;
    while (i < s.size() && IsDigit(s[i])) ++i;
    size_t int_digits = i;
    size_t frac_digits = 0;
    if (i < s.size() && s[i] == '.') {
      ++i;
      while (i < s.size() && IsDigit(s[i])) ++i, ++frac_digits;
    }
    if (int_digits + frac_digits == 0) return DurationError(text);
    double number = std::strtod(std::string(s.substr(0, i)).c_str(), nullptr);
    s.remove_prefix(i);
    // A unit: the longest run of non-digit, non-dot characters.
    size_t u = 0;
    while (u < s.size() && !IsDigit(s[u]) && s[u] != '.') ++u;
    std::string_view unit_name = s.substr(0, u);
    s.remove_prefix(u);
    const Unit* unit = nullptr;
    for (const Unit& candidate : kUnits) {
      if (candidate.name == unit_name) unit = &candidate;
    }
    if (unit == nullptr) {
      if (unit_name.empty()) {
        return InvalidArgumentError("time: missing unit in duration \"" + std::string(text) + "\"");
      }
      return InvalidArgumentError("time: unknown unit \"" + std::string(unit_name) +
                                  "\" in duration \"" + std::string(text) + "\"");
    }
    total += number * unit->nanos;
  }
  // Go's Duration is an int64 of nanoseconds; beyond that it is an error.
  if (!std::isfinite(total) || total >= 9.2e18) return DurationError(text);
  auto nanos = static_cast<int64_t>(std::llround(total));
  return std::chrono::nanoseconds(negative ? -nanos : nanos);
}

StatusOr<bool> ParseBool(std::string_view text) {
  if (text == "1" || text == "t" || text == "T" || text == "TRUE" || text == "true" ||
      text == "True") {
    return true;
  }
  if (text == "0" || text == "f" || text == "F" || text == "FALSE" || text == "false" ||
      text == "False") {
    return false;
  }
  return InvalidArgumentError("parse error");
}

FlagSet::FlagSet(std::string command_name) : command_name_(std::move(command_name)) {}

void FlagSet::Define(std::string name, Kind kind, void* target, std::string default_text,
                     std::string usage) {
  TRESOR_CHECK(!flags_.contains(name));
  flags_.emplace(std::move(name), Flag{kind, target, std::move(default_text), std::move(usage)});
}

void FlagSet::String(std::string name, std::string* target, std::string default_value,
                     std::string usage) {
  *target = default_value;
  Define(std::move(name), Kind::kString, target, std::move(default_value), std::move(usage));
}

void FlagSet::Int(std::string name, int64_t* target, int64_t default_value, std::string usage) {
  *target = default_value;
  Define(std::move(name), Kind::kInt, target, std::to_string(default_value), std::move(usage));
}

void FlagSet::Bool(std::string name, bool* target, bool default_value, std::string usage) {
  *target = default_value;
  Define(std::move(name), Kind::kBool, target, default_value ? "true" : "false", std::move(usage));
}

void FlagSet::Duration(std::string name, std::string* target, std::string default_value,
                       std::string usage) {
  *target = default_value;
  Define(std::move(name), Kind::kDuration, target, std::move(default_value), std::move(usage));
}

void FlagSet::StringList(std::string name, std::vector<std::string>* target, bool split_commas,
                         std::string usage) {
  target->clear();
  Define(std::move(name), split_commas ? Kind::kCommaList : Kind::kList, target, "",
         std::move(usage));
}

Status FlagSet::Assign(const std::string& name, Flag& flag, std::string_view value) {
  auto invalid = [&](std::string_view why) {
    return InvalidArgumentError("invalid value \"" + std::string(value) + "\" for flag -" + name +
                                ": " + std::string(why));
  };
  switch (flag.kind) {
    case Kind::kString:
      *static_cast<std::string*>(flag.target) = std::string(value);
      break;
    case Kind::kInt: {
      int64_t number = 0;
      auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), number);
      if (ec == std::errc::result_out_of_range) return invalid("value out of range");
      if (ec != std::errc() || end != value.data() + value.size() || value.empty()) {
        return invalid("parse error");
      }
      *static_cast<int64_t*>(flag.target) = number;
      break;
    }
    case Kind::kBool: {
      StatusOr<bool> parsed = ParseBool(value);
      if (!parsed.ok()) {
        return InvalidArgumentError("invalid boolean value \"" + std::string(value) + "\" for -" +
                                    name + ": parse error");
      }
      *static_cast<bool*>(flag.target) = *parsed;
      break;
    }
    case Kind::kList:
      static_cast<std::vector<std::string>*>(flag.target)->emplace_back(value);
      break;
    case Kind::kCommaList: {
      auto* list = static_cast<std::vector<std::string>*>(flag.target);
      size_t start = 0;
      while (true) {
        size_t comma = value.find(',', start);
        list->emplace_back(value.substr(start, comma - start));
        if (comma == std::string_view::npos) break;
        start = comma + 1;
      }
      break;
    }
    case Kind::kDuration: {
      StatusOr<std::chrono::nanoseconds> parsed = ParseDuration(value);
      if (!parsed.ok()) return invalid(parsed.status().message());
      *static_cast<std::string*>(flag.target) = std::string(value);
      break;
    }
  }
  flag.set = true;
  return Status::Ok();
}

Status FlagSet::Parse(const std::vector<std::string>& args) {
  args_.clear();
  help_requested_ = false;
  size_t i = 0;
  while (i < args.size()) {
    const std::string& arg = args[i];
    if (arg.size() < 2 || arg[0] != '-') {  // positional (including a lone "-")
      if (!interspersed_) break;
      args_.push_back(arg);
      ++i;
      continue;
    }
    if (arg == "--") {
      ++i;
      break;
    }
    size_t dashes = arg[1] == '-' ? 2 : 1;
    std::string body = arg.substr(dashes);
    if (body.empty() || body[0] == '-' || body[0] == '=') {
      return InvalidArgumentError("bad flag syntax: " + arg);
    }
    ++i;
    std::string name = body;
    std::string value;
    bool has_value = false;
    if (size_t eq = body.find('='); eq != std::string::npos) {
      name = body.substr(0, eq);
      value = body.substr(eq + 1);
      has_value = true;
    }
    auto it = flags_.find(name);
    if (it == flags_.end()) {
      if (name == "h" || name == "help") {
        help_requested_ = true;
        return Status::Ok();
      }
      return InvalidArgumentError("flag provided but not defined: -" + name);
    }
    Flag& flag = it->second;
    if (flag.kind == Kind::kBool) {
      TRESOR_RETURN_IF_ERROR(Assign(name, flag, has_value ? value : "true"));
      continue;
    }
    if (!has_value) {
      if (i >= args.size()) return InvalidArgumentError("flag needs an argument: -" + name);
      value = args[i++];
    }
    TRESOR_RETURN_IF_ERROR(Assign(name, flag, value));
  }
  args_.insert(args_.end(), args.begin() + static_cast<std::ptrdiff_t>(i), args.end());
  return Status::Ok();
}

bool FlagSet::IsSet(std::string_view name) const {
  auto it = flags_.find(name);
  return it != flags_.end() && it->second.set;
}

std::vector<std::string> FlagSet::FlagsAfterArgs() const {
  std::vector<std::string> out;
  if (interspersed_) return out;  // flags after arguments were parsed
  // Report only "-name", never what follows '=': a value may be a secret.
  for (size_t i = 1; i < args_.size(); ++i) {
    const std::string& arg = args_[i];
    size_t dashes = arg.starts_with("--") ? 2 : 1;
    if (arg.size() <= dashes || arg[0] != '-' ||
        !std::isalpha(static_cast<unsigned char>(arg[dashes]))) {
      continue;
    }
    std::string name = arg.substr(0, arg.find('='));
    if (name.find_first_not_of(
            "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_") ==
        std::string::npos) {
      out.push_back(name);
    }
  }
  return out;
}

std::string FlagSet::Usage() const {
  std::ostringstream out;
  for (const auto& [name, flag] : flags_) {
    out << "  -" << name;
    switch (flag.kind) {
      case Kind::kString:
        out << "=<string>";
        break;
      case Kind::kInt:
        out << "=<int>";
        break;
      case Kind::kBool:
        break;
      case Kind::kDuration:
        out << "=<duration>";
        break;
      case Kind::kList:
      case Kind::kCommaList:
        out << "=<string>";
        break;
    }
    out << "\n      " << flag.usage;
    if (!flag.default_text.empty() && !(flag.kind == Kind::kBool && flag.default_text == "false")) {
      out << " The default is " << flag.default_text << ".";
    }
    out << "\n\n";
  }
  return out.str();
}

}  // namespace tresor::command
