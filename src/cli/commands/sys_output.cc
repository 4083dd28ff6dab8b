#include "cli/commands/sys_output.h"

#include <chrono>
#include <cstdio>

#include "cli/output.h"

namespace tresor::cli {
namespace {

std::string Text(const Json& object, const char* key) {
  if (!object.is_object()) return "";
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return "";
  return it->is_string() ? it->get<std::string>() : it->dump();
}

bool Flag(const Json& object, const char* key) {
  if (!object.is_object()) return false;
  auto it = object.find(key);
  return it != object.end() && it->is_boolean() && it->get<bool>();
}

int64_t Number(const Json& object, const char* key) {
  if (!object.is_object()) return 0;
  auto it = object.find(key);
  return it != object.end() && it->is_number() ? it->get<int64_t>() : 0;
}

std::string BoolText(bool value) { return value ? "true" : "false"; }

constexpr std::string_view kZeroTime = "0001-01-01T00:00:00Z";

}  // namespace

Json FetchLeader(HttpClient& client) {
  StatusOr<Json> leader = client.Call("GET", "/v1/sys/leader");
  if (!leader.ok() || !leader->is_object()) return nullptr;
  return *leader;
}

std::string FormatSealStatusTable(const Json& seal_status, const Json& leader) {
  const bool sealed = Flag(seal_status, "sealed");
  const std::string prefix = Flag(seal_status, "recovery_seal") ? "Recovery " : "";
  std::vector<Row> rows = {{"Key", "Value"}};
  rows.push_back({prefix + "Seal Type", Text(seal_status, "type")});
  rows.push_back({"Initialized", BoolText(Flag(seal_status, "initialized"))});
  rows.push_back({"Sealed", BoolText(sealed)});
  rows.push_back({"Total " + prefix + "Shares", std::to_string(Number(seal_status, "n"))});
  rows.push_back({"Threshold", std::to_string(Number(seal_status, "t"))});
  if (sealed) {
    rows.push_back({"Unseal Progress", std::to_string(Number(seal_status, "progress")) + "/" +
                                           std::to_string(Number(seal_status, "t"))});
    rows.push_back({"Unseal Nonce", Text(seal_status, "nonce")});
  }
  if (Flag(seal_status, "migration")) rows.push_back({"Seal Migration in Progress", "true"});
  rows.push_back({"Version", Text(seal_status, "version")});
  rows.push_back({"Build Date", Text(seal_status, "build_date")});
  rows.push_back({"Storage Type", Text(seal_status, "storage_type")});
  if (!Text(seal_status, "cluster_name").empty() && !Text(seal_status, "cluster_id").empty()) {
    rows.push_back({"Cluster Name", Text(seal_status, "cluster_name")});
    rows.push_back({"Cluster ID", Text(seal_status, "cluster_id")});
  }
  if (leader.is_null()) {
    rows.push_back({"HA Enabled", ""});  // prints n/a
    return TableOutput(rows);
  }
  const bool ha_enabled = Flag(leader, "ha_enabled");
  rows.push_back({"HA Enabled", BoolText(ha_enabled)});
  if (ha_enabled && !sealed) {
    rows.push_back({"HA Cluster", Text(leader, "leader_cluster_address")});
    const bool is_self = Flag(leader, "is_self");
    rows.push_back({"HA Mode", is_self ? "active" : "standby"});
    if (is_self) {
      std::string active = Text(leader, "active_time");
      if (!active.empty() && active != kZeroTime) rows.push_back({"Active Since", active});
    } else {
      std::string address = Text(leader, "leader_address");
      rows.push_back({"Active Node Address", address.empty() ? "<none>" : address});
    }
  }
  if (Number(leader, "raft_committed_index") > 0) {
    rows.push_back(
        {"Raft Committed Index", std::to_string(Number(leader, "raft_committed_index"))});
    rows.push_back({"Raft Applied Index", std::to_string(Number(leader, "raft_applied_index"))});
  }
  return TableOutput(rows);
}

Json SealStatusJson(const Json& seal_status, const Json& leader) {
  Json out = seal_status;
  if (!out.is_object() || !leader.is_object()) return out;
  out["ha_enabled"] = Flag(leader, "ha_enabled");
  if (Flag(leader, "is_self")) out["is_self"] = true;
  for (const char* key : {"active_time", "leader_address", "leader_cluster_address"}) {
    std::string value = Text(leader, key);
    if (!value.empty() && value != kZeroTime) out[key] = value;
  }
  for (const char* key : {"raft_committed_index", "raft_applied_index"}) {
    if (Number(leader, key) > 0) out[key] = Number(leader, key);
  }
  return out;
}

Json KeyStatusFields(const Json& response) {
  const Json* source = &response;
  if (response.is_object() && !response.contains("term") && response.contains("data") &&
      response["data"].is_object()) {
    source = &response["data"];
  }
  Json out = Json::object();
  out["term"] = Number(*source, "term");
  out["install_time"] = Text(*source, "install_time");
  out["encryptions"] = Number(*source, "encryptions");
  return out;
}

std::string FormatKeyStatus(const Json& key_status) {
  return ColumnOutput({
      {"Key Term", std::to_string(Number(key_status, "term"))},
      {"Install Time", Rfc3339ToRfc822Utc(Text(key_status, "install_time"))},
      {"Encryption Count", std::to_string(Number(key_status, "encryptions"))},
  });
}

std::string Rfc3339ToRfc822Utc(std::string_view text) {
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0, consumed = 0;
  std::string copy(text);
  if (std::sscanf(copy.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &year, &month, &day, &hour, &minute,
                  &second, &consumed) != 6 ||
      consumed != 19) {
    return copy;
  }
  std::string_view rest = text.substr(19);
  if (rest.starts_with(".")) {
    size_t digits = rest.find_first_not_of("0123456789", 1);
    rest.remove_prefix(digits == std::string_view::npos ? rest.size() : digits);
  }
  int offset_minutes = 0;
  if (rest == "Z" || rest == "z") {
    offset_minutes = 0;
  } else if (rest.size() == 6 && (rest[0] == '+' || rest[0] == '-') && rest[3] == ':') {
    int oh = 0, om = 0;
    if (std::sscanf(std::string(rest.substr(1)).c_str(), "%2d:%2d", &oh, &om) != 2) return copy;
    offset_minutes = (rest[0] == '-' ? -1 : 1) * (oh * 60 + om);
  } else {
    return copy;
  }
  using namespace std::chrono;
  year_month_day date{std::chrono::year(year), std::chrono::month(static_cast<unsigned>(month)),
                      std::chrono::day(static_cast<unsigned>(day))};
  if (!date.ok() || hour > 23 || minute > 59 || second > 60) return copy;
  sys_seconds local = sys_days(date) + hours(hour) + minutes(minute) + seconds(second);
  sys_seconds utc = local - minutes(offset_minutes);
  sys_days utc_day = floor<days>(utc);
  year_month_day ymd(utc_day);
  hh_mm_ss<seconds> time(utc - utc_day);
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  char buffer[32];
  std::snprintf(buffer, sizeof(buffer), "%02u %s %02d %02ld:%02ld UTC",
                static_cast<unsigned>(ymd.day()), kMonths[static_cast<unsigned>(ymd.month()) - 1],
                static_cast<int>(ymd.year()) % 100, static_cast<long>(time.hours().count()),
                static_cast<long>(time.minutes().count()));
  return buffer;
}

std::string FormatRekeyStatusTable(const Json& status) {
  std::vector<Row> rows = {{"Key", "Value"}};
  rows.push_back({"Nonce", Text(status, "nonce")});
  rows.push_back({"Started", BoolText(Flag(status, "started"))});
  rows.push_back({"Rekey Progress", std::to_string(Number(status, "progress")) + "/" +
                                        std::to_string(Number(status, "required"))});
  rows.push_back({"New Shares", std::to_string(Number(status, "n"))});
  rows.push_back({"New Threshold", std::to_string(Number(status, "t"))});
  rows.push_back({"Verification Required", BoolText(Flag(status, "verification_required"))});
  return TableOutput(rows);
}

std::string FormatRekeyVerifyStatusTable(const Json& status) {
  std::vector<Row> rows = {{"Key", "Value"}};
  rows.push_back({"Started", BoolText(Flag(status, "started"))});
  rows.push_back({"New Shares", std::to_string(Number(status, "n"))});
  rows.push_back({"New Threshold", std::to_string(Number(status, "t"))});
  rows.push_back({"Verification Nonce", Text(status, "nonce")});
  rows.push_back({"Verification Progress", std::to_string(Number(status, "progress")) + "/" +
                                               std::to_string(Number(status, "t"))});
  return TableOutput(rows);
}

std::string FormatGenerateRootStatusTable(const Json& status) {
  std::vector<Row> rows = {{"Key", "Value"}};
  rows.push_back({"Nonce", Text(status, "nonce")});
  rows.push_back({"Started", BoolText(Flag(status, "started"))});
  rows.push_back({"Progress", std::to_string(Number(status, "progress")) + "/" +
                                  std::to_string(Number(status, "required"))});
  rows.push_back({"Complete", BoolText(Flag(status, "complete"))});
  if (!Text(status, "encoded_token").empty()) {
    rows.push_back({"Encoded Token", Text(status, "encoded_token")});
  }
  if (!Text(status, "otp").empty()) rows.push_back({"OTP", Text(status, "otp")});
  rows.push_back({"OTP Length", std::to_string(Number(status, "otp_length"))});
  return TableOutput(rows);
}

std::string FormatRekeyKeys(const Json& result, int64_t shares, int64_t threshold) {
  std::string out;
  int index = 1;
  if (result.contains("keys") && result["keys"].is_array()) {
    for (const Json& key : result["keys"]) {
      if (key.is_string()) out += "Key " + std::to_string(index++) + ": " + key.get<std::string>() + "\n";
    }
  }
  out += "\nOperation nonce: " + Text(result, "nonce") + "\n\n";
  if (Flag(result, "verification_required")) {
    out += WrapAtLength(
        "The server has generated " + std::to_string(shares) + " new unseal key shares with a "
        "threshold of " + std::to_string(threshold) + ", but they do not take effect until " +
        std::to_string(threshold) + " of them are given back to prove they were received, once "
        "per share, with:") +
           "\n\n    tresor operator rekey -verify -nonce=" + Text(result, "verification_nonce") +
           "\n\nUntil then the old shares still unseal the server.\n";
  } else {
    out += WrapAtLength(
        "Unseal keys rekeyed with " + std::to_string(shares) + " key shares and a key threshold "
        "of " + std::to_string(threshold) + ". Please securely distribute the key shares printed "
        "above. When the server is re-sealed, restarted, or stopped, you must supply at least " +
        std::to_string(threshold) + " of these keys to unseal it before it can start servicing "
        "requests.") + "\n";
  }
  return out;
}

}  // namespace tresor::cli
