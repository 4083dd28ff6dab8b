#include "cli/commands/operator_raft_output.h"

#include <algorithm>
#include <array>
#include <map>
#include <string_view>
#include <vector>

#include "cli/output.h"

namespace tresor::cli {
namespace {

// Vault pads its autopilot labels to fixed widths (label plus colon):
// 33 characters at the top level, 19 inside a server, which is indented by
// six spaces under a three-space server heading.
constexpr size_t kTopLabelWidth = 33;
constexpr size_t kServerLabelWidth = 19;

std::string Padded(std::string_view label, size_t width) {
  std::string out(label);
  out += ':';
  if (out.size() < width) out.append(width - out.size(), ' ');
  return out;
}

// A cell or row value: null and absent print as "" (the table shows "n/a").
std::string CellText(const Json& object, std::string_view key) {
  if (!object.is_object()) return "";
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return "";
  return FormatValue(*it);
}

void AppendNames(std::string& out, const Json& names) {
  if (!names.is_array()) return;
  for (const Json& name : names) out += "   " + FormatValue(name) + "\n";
}

std::string FormatAutopilotServer(const std::string& key, const Json& server) {
  // The rows of Vault's formatServer, in its order.
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 12> kRows = {{
      {"Name", "name"},
      {"Address", "address"},
      {"Status", "status"},
      {"Node Status", "node_status"},
      {"Healthy", "healthy"},
      {"Last Contact", "last_contact"},
      {"Last Term", "last_term"},
      {"Last Index", "last_index"},
      {"Version", "version"},
      {"Upgrade Version", "upgrade_version"},
      {"Redundancy Zone", "redundancy_zone"},
      {"Node Type", "node_type"},
  }};
  std::string heading = CellText(server, "id");
  std::string out = "   " + (heading.empty() ? key : heading) + "\n";
  if (!server.is_object()) return out;
  for (const auto& [label, field] : kRows) {
    auto it = server.find(field);
    if (it == server.end() || it->is_null()) continue;
    out += "      " + Padded(label, kServerLabelWidth) + FormatValue(*it) + "\n";
  }
  return out;
}

}  // namespace

Json ResponseData(const Json& response) {
  if (response.is_object()) {
    auto it = response.find("data");
    if (it != response.end() && it->is_object()) return *it;
  }
  return response;
}

std::string FormatRaftPeersTable(const Json& response) {
  Json data = ResponseData(response);
  if (!data.is_object() || !data.contains("config") || !data["config"].is_object()) return "";
  const Json& servers = data["config"].value("servers", Json());
  if (!servers.is_array()) return "";
  std::vector<Row> rows = {{"Node", "Address", "State", "Voter"}};
  for (const Json& server : servers) {
    bool leader = server.is_object() && server.value("leader", false);
    rows.push_back({CellText(server, "node_id"), CellText(server, "address"),
                    leader ? "leader" : "follower", CellText(server, "voter")});
  }
  return TableOutput(rows);
}

std::string FormatAutopilotState(const Json& state) {
  if (!state.is_object()) return "";
  std::string out;
  for (const auto& [label, field] : std::array<std::pair<std::string_view, std::string_view>, 3>{
           {{"Healthy", "healthy"},
            {"Failure Tolerance", "failure_tolerance"},
            {"Leader", "leader"}}}) {
    if (!state.contains(field)) continue;
    out += Padded(label, kTopLabelWidth) + CellText(state, field) + "\n";
  }
  out += "Voters:\n";
  AppendNames(out, state.value("voters", Json()));
  const Json& non_voters = state.value("non_voters", Json());
  if (non_voters.is_array() && !non_voters.empty()) {
    out += "Non Voters:\n";
    AppendNames(out, non_voters);
  }
  const Json& optimistic = state.value("optimistic_failure_tolerance", Json());
  if (optimistic.is_number() && optimistic.get<double>() > 0) {
    out += Padded("Optimistic Failure Tolerance", kTopLabelWidth) + FormatValue(optimistic) + "\n";
  }
  out += "Servers:\n";
  const Json& servers = state.value("servers", Json());
  if (servers.is_object()) {
    std::map<std::string, const Json*> sorted;  // Vault sorts by the map key
    for (const auto& [key, server] : servers.items()) sorted[key] = &server;
    for (const auto& [key, server] : sorted) out += FormatAutopilotServer(key, *server);
  }
  return out;
}

std::string FormatHaMembersTable(const Json& nodes) {
  if (!nodes.is_array() || nodes.empty()) return "";
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 8> kColumns = {{
      {"Host Name", "hostname"},
      {"API Address", "api_address"},
      {"Cluster Address", "cluster_address"},
      {"Active Node", "active_node"},
      {"Version", "version"},
      {"Upgrade Version", "upgrade_version"},
      {"Redundancy Zone", "redundancy_zone"},
      {"Last Echo", "last_echo"},
  }};
  std::vector<std::string_view> fields;
  Row header;
  for (const auto& [title, field] : kColumns) {
    bool returned = std::any_of(nodes.begin(), nodes.end(), [field = field](const Json& node) {
      return node.is_object() && node.contains(field);
    });
    if (!returned) continue;
    header.emplace_back(title);
    fields.push_back(field);
  }
  if (fields.empty()) return "";
  std::vector<Row> rows = {header};
  for (const Json& node : nodes) {
    Row row;
    for (std::string_view field : fields) row.push_back(CellText(node, field));
    rows.push_back(std::move(row));
  }
  return TableOutput(rows);
}

}  // namespace tresor::cli
