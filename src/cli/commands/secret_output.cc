#include "cli/commands/secret_output.h"

#include <algorithm>
#include <charconv>
#include <map>

#include "cli/output.h"

namespace tresor::cli {
namespace {

// Vault's humanDurationInt: numbers and numeric strings become durations,
// anything else prints as it is.
std::string DurationOrValue(const Json& value) {
  if (value.is_number_integer()) return HumanDuration(value.get<int64_t>());
  if (value.is_string()) {
    const std::string& text = value.get_ref<const std::string&>();
    int64_t seconds = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), seconds);
    if (ec == std::errc() && end == text.data() + text.size() && !text.empty()) {
      return HumanDuration(seconds);
    }
  }
  return FormatValue(value);
}

int64_t IntOr(const Json& object, const char* key, int64_t fallback) {
  auto it = object.find(key);
  return it != object.end() && it->is_number_integer() ? it->get<int64_t>() : fallback;
}

const Json& EmptyObject() {
  static const Json* empty = new Json(Json::object());
  return *empty;
}

// A wrapped answer's rows, as Vault's CLI names them (with the colon), and
// the wrap_info field each comes from.
struct WrapRow {
  const char* name;
  const char* field;
};
constexpr WrapRow kWrapRows[] = {{"wrapping_token", "token"},
                                 {"wrapping_accessor", "accessor"},
                                 {"wrapping_token_ttl", "ttl"},
                                 {"wrapping_token_creation_time", "creation_time"},
                                 {"wrapping_token_creation_path", "creation_path"},
                                 {"wrapped_accessor", "wrapped_accessor"}};

const Json* WrapInfoOf(const Json& response) {
  if (!response.is_object()) return nullptr;
  auto it = response.find("wrap_info");
  return it != response.end() && it->is_object() ? &*it : nullptr;
}

}  // namespace

std::string HumanDuration(int64_t seconds) {
  if (seconds == 0) return "0s";
  std::string out = seconds < 0 ? "-" : "";
  uint64_t rest =
      seconds < 0 ? static_cast<uint64_t>(-(seconds + 1)) + 1 : static_cast<uint64_t>(seconds);
  uint64_t hours = rest / 3600, minutes = rest / 60 % 60, secs = rest % 60;
  // Go prints 1h0m0s; Vault trims that to 1h, and 1h0m5s to 1h5s.
  if (hours > 0) out += std::to_string(hours) + "h";
  if (minutes > 0) out += std::to_string(minutes) + "m";
  if (secs > 0) out += std::to_string(secs) + "s";
  return out;
}

bool LooksLikeDuration(std::string_view key) {
  return key == "period" || key.ends_with("_period") || key == "ttl" || key.ends_with("_ttl") ||
         key.ends_with("_duration") || key.ends_with("lease_max") || key.ends_with("ttl_max");
}

std::string QuotedList(const Json& list) {
  std::string out = "[";
  if (list.is_array()) {
    for (size_t i = 0; i < list.size(); ++i) {
      if (i > 0) out += " ";
      out += list[i].is_string() ? list[i].dump() : FormatValue(list[i]);
    }
  }
  return out + "]";
}

const Json& DataOf(const Json& response) {
  if (response.is_object()) {
    auto it = response.find("data");
    if (it != response.end() && it->is_object()) return *it;
  }
  return EmptyObject();
}

std::string SecretTable(const Json& response) {
  if (!response.is_object()) return "";
  std::vector<Row> rows;
  if (const Json* wrap = WrapInfoOf(response)) {
    for (const WrapRow& row : kWrapRows) {
      auto value = wrap->find(row.field);
      if (value == wrap->end() || (value->is_string() && value->get_ref<const std::string&>().empty())) {
        continue;
      }
      rows.push_back({std::string(row.name) + ":",
                      std::string_view(row.field) == "ttl" ? DurationOrValue(*value)
                                                           : FormatValue(*value)});
    }
  }
  int64_t lease_duration = IntOr(response, "lease_duration", 0);
  if (lease_duration > 0) {
    std::string lease_id = response.value("lease_id", "");
    if (!lease_id.empty()) {
      rows.push_back({"lease_id", lease_id});
      rows.push_back({"lease_duration", HumanDuration(lease_duration)});
      rows.push_back({"lease_renewable", response.value("renewable", false) ? "true" : "false"});
    } else {
      // KV answers with a lease duration but no lease: Vault calls it a
      // refresh interval to avoid suggesting the secret expires.
      rows.push_back({"refresh_interval", HumanDuration(lease_duration)});
    }
  }
  if (auto auth = response.find("auth"); auth != response.end() && auth->is_object()) {
    rows.push_back({"token", auth->value("client_token", "")});
    rows.push_back({"token_accessor", auth->value("accessor", "")});
    int64_t duration = IntOr(*auth, "lease_duration", 0);
    // A zero lease is a token that never expires (root); Vault shows infinity.
    rows.push_back({"token_duration", duration == 0 ? "\xE2\x88\x9E" : HumanDuration(duration)});
    rows.push_back({"token_renewable", auth->value("renewable", false) ? "true" : "false"});
    rows.push_back({"token_policies", QuotedList(auth->value("token_policies", Json::array()))});
    rows.push_back(
        {"identity_policies", QuotedList(auth->value("identity_policies", Json::array()))});
    rows.push_back({"policies", QuotedList(auth->value("policies", Json::array()))});
    if (auto meta = auth->find("metadata"); meta != auth->end() && meta->is_object()) {
      std::map<std::string, std::string> sorted;
      for (const auto& [key, value] : meta->items()) sorted[key] = FormatValue(value);
      for (const auto& [key, value] : sorted) rows.push_back({"token_meta_" + key, value});
    }
  }
  std::map<std::string, const Json*> data;
  for (const auto& [key, value] : DataOf(response).items()) data[key] = &value;
  for (const auto& [key, value] : data) {
    rows.push_back({key, LooksLikeDuration(key) ? DurationOrValue(*value) : FormatValue(*value)});
  }
  if (rows.empty()) return "";
  rows.insert(rows.begin(), Row{"Key", "Value"});
  return TableOutput(rows);
}

StatusOr<Json> SecretField(const Json& response, std::string_view field) {
  if (!response.is_object())
    return NotFoundError("Field \"" + std::string(field) + "\" not present in secret");
  if (const Json* wrap = WrapInfoOf(response)) {
    for (const WrapRow& row : kWrapRows) {
      if (field == row.name && wrap->contains(row.field)) return (*wrap)[row.field];
    }
  }
  if (auto auth = response.find("auth"); auth != response.end() && auth->is_object()) {
    if (field == "token") return auth->value("client_token", Json(""));
    if (field == "token_accessor") return auth->value("accessor", Json(""));
    if (field == "token_duration") return Json(HumanDuration(IntOr(*auth, "lease_duration", 0)));
    if (field == "token_renewable") return auth->value("renewable", Json(false));
    if (field == "token_policies" || field == "identity_policies" || field == "policies") {
      return auth->value(std::string(field), Json::array());
    }
    if (field.starts_with("token_meta_")) {
      const Json meta = auth->value("metadata", Json::object());
      if (auto it = meta.find(std::string(field.substr(11))); it != meta.end()) return *it;
    }
  }
  const Json& data = DataOf(response);
  if (auto it = data.find(std::string(field)); it != data.end() && !it->is_null()) return *it;
  return NotFoundError("Field \"" + std::string(field) + "\" not present in secret");
}

int PrintFieldValue(CommandIo& io, const std::string& format, const StatusOr<Json>& value) {
  if (!value.ok()) {
    io.err << value.status().message() << "\n";
    return kExitError;
  }
  io.out << (format == "json" ? FormatJson(*value) : FormatValue(*value) + "\n");
  return kExitOk;
}

void PrintWarnings(CommandIo& io, const Json& response) {
  if (!response.is_object()) return;
  auto it = response.find("warnings");
  if (it == response.end() || !it->is_array() || it->empty()) return;
  io.err << "WARNING! The following warnings were returned from Vault:\n\n";
  for (const Json& warning : *it) {
    io.err << "  * " << (warning.is_string() ? warning.get<std::string>() : warning.dump()) << "\n";
  }
  io.err << "\n";
}

int PrintSecret(CommandIo& io, const std::string& format, const std::string& field,
                const Json& response) {
  if (!field.empty()) return PrintFieldValue(io, format, SecretField(response, field));
  if (format == "json") {
    io.out << FormatJson(response);
    return kExitOk;
  }
  PrintWarnings(io, response);
  io.out << SecretTable(response);
  return kExitOk;
}

std::string PadEqualSigns(std::string_view header, size_t total_width) {
  size_t equals = total_width > header.size() + 2 ? total_width - header.size() - 2 : 0;
  equals = std::max<size_t>(equals, 4);
  size_t left = equals / 2;
  return std::string(left, '=') + " " + std::string(header) + " " + std::string(equals - left, '=');
}

std::string HeaderForMap(std::string_view header, const Json& object) {
  size_t widest = 0;
  if (object.is_object()) {
    for (const auto& [key, value] : object.items()) widest = std::max(widest, key.size());
  }
  return PadEqualSigns(header, widest + 4 + 5);
}

std::string PathHeader(std::string_view title, std::string_view path) {
  return PadEqualSigns(title, path.size()) + "\n" + std::string(path) + "\n\n";
}

}  // namespace tresor::cli
