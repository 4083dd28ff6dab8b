#include "core/policy/policy.h"

#include <algorithm>
#include <array>
#include <cctype>

#include "common/duration.h"
#include "common/hcl.h"

namespace tresor::core::policy {
namespace {

// Keys Vault accepts in a path block that Tresor refuses rather than
// silently not enforce.
constexpr std::array<std::string_view, 6> kUnsupportedRuleKeys = {
    "allowed_parameters", "denied_parameters", "required_parameters",
    "mfa_methods",        "control_group",     "subscribe_event_types"};

// Quotes a piece of user input for an error message, cut short so that a
// hostile policy cannot make the message huge.
std::string Quote(std::string_view text) {
  constexpr std::size_t kMax = 64;
  std::string out = "\"";
  out += text.substr(0, kMax);
  if (text.size() > kMax) out += "...";
  out += "\"";
  return out;
}

// "line N: what" for HCL; for JSON (no line) `path "p": what` when the
// problem is inside a rule, else just "what".
Status ErrorAt(int line, std::string_view pattern, const std::string& what) {
  if (line > 0) return InvalidArgumentError("line " + std::to_string(line) + ": " + what);
  if (!pattern.empty()) return InvalidArgumentError("path " + Quote(pattern) + ": " + what);
  return InvalidArgumentError(what);
}

StatusOr<CapabilitySet> ParseCapabilityList(const hcl::Value& value, std::string_view pattern) {
  // A single string is taken as a one-element list, as HCL1 decodes it.
  std::vector<const hcl::Value*> items;
  if (value.IsString()) {
    items.push_back(&value);
  } else if (value.IsList()) {
    for (const hcl::Value& item : value.list()) items.push_back(&item);
  } else {
    return ErrorAt(value.line(), pattern,
                   "capabilities: expected a list of strings, got " +
                       std::string(hcl::TypeName(value.type())));
  }
  CapabilitySet set = 0;
  for (const hcl::Value* item : items) {
    if (!item->IsString()) {
      return ErrorAt(
          item->line(), pattern,
          "capabilities: expected a string, got " + std::string(hcl::TypeName(item->type())));
    }
    auto cap = CapabilityFromName(item->string_value());
    if (!cap.has_value()) {
      return ErrorAt(item->line(), pattern, "unknown capability " + Quote(item->string_value()));
    }
    set |= *cap;
  }
  return set;
}

// The deprecated `policy = "..."` form, mapped as Vault maps it.
StatusOr<CapabilitySet> ParseOldPolicy(const hcl::Value& value, std::string_view pattern) {
  if (!value.IsString()) {
    return ErrorAt(value.line(), pattern,
                   "policy: expected a string, got " + std::string(hcl::TypeName(value.type())));
  }
  const std::string& old = value.string_value();
  constexpr CapabilitySet kWrite = kCreate | kRead | kUpdate | kDelete | kList;
  if (old == "deny") return CapabilitySet{kDeny};
  if (old == "read") return CapabilitySet{kRead | kList};
  if (old == "write") return kWrite;
  if (old == "sudo") return CapabilitySet{kWrite | kSudo};
  return ErrorAt(value.line(), pattern, "invalid policy " + Quote(old));
}

// min_wrapping_ttl / max_wrapping_ttl: a duration string ("5m") or whole
// seconds, as Vault reads them.
StatusOr<std::chrono::seconds> ParseWrappingTtl(const hcl::ObjectEntry& entry,
                                                std::string_view pattern) {
  const hcl::Value& value = entry.value;
  if (value.IsInt() && value.int_value() >= 0) return std::chrono::seconds(value.int_value());
  if (value.IsString()) {
    auto parsed = ParseDuration(value.string_value());
    if (parsed.ok()) return *parsed;
    return ErrorAt(value.line(), pattern, entry.key + ": " + parsed.status().message());
  }
  return ErrorAt(value.line(), pattern,
                 entry.key + ": expected a duration (\"5m\") or whole seconds, got " +
                     std::string(hcl::TypeName(value.type())));
}

StatusOr<PathRule> ParseRule(const hcl::Block& block) {
  const std::string& written = block.labels.front();
  const int line = block.position.line;
  auto pattern = PathPattern::Parse(written);
  if (!pattern.ok()) return ErrorAt(line, written, pattern.status().message());

  PathRule rule{std::move(*pattern), 0, line, {}, {}};
  for (const hcl::ObjectEntry& entry : block.body->object()) {
    const int entry_line = entry.position.line;
    if (entry.key == "capabilities") {
      TRESOR_ASSIGN_OR_RETURN(CapabilitySet caps, ParseCapabilityList(entry.value, written));
      rule.capabilities |= caps;
    } else if (entry.key == "policy") {
      TRESOR_ASSIGN_OR_RETURN(CapabilitySet caps, ParseOldPolicy(entry.value, written));
      rule.capabilities |= caps;
    } else if (entry.key == "comment") {
      if (!entry.value.IsString()) {
        return ErrorAt(
            entry_line, written,
            "comment: expected a string, got " + std::string(hcl::TypeName(entry.value.type())));
      }
    } else if (entry.key == "min_wrapping_ttl") {
      TRESOR_ASSIGN_OR_RETURN(rule.min_wrapping_ttl, ParseWrappingTtl(entry, written));
    } else if (entry.key == "max_wrapping_ttl") {
      TRESOR_ASSIGN_OR_RETURN(rule.max_wrapping_ttl, ParseWrappingTtl(entry, written));
    } else if (std::find(kUnsupportedRuleKeys.begin(), kUnsupportedRuleKeys.end(), entry.key) !=
               kUnsupportedRuleKeys.end()) {
      return ErrorAt(entry_line, written, Quote(entry.key) + " is not supported yet");
    } else {
      return ErrorAt(entry_line, written, "unknown key " + Quote(entry.key));
    }
  }
  if (rule.max_wrapping_ttl.count() > 0 && rule.min_wrapping_ttl > rule.max_wrapping_ttl) {
    return ErrorAt(line, written, "max_wrapping_ttl cannot be less than min_wrapping_ttl");
  }
  // Deny on a rule overrides whatever else it lists.
  if ((rule.capabilities & kDeny) != 0) rule.capabilities = kDeny;
  return rule;
}

bool LooksLikeJson(std::string_view text) {
  for (char c : text) {
    if (std::isspace(static_cast<unsigned char>(c))) continue;
    return c == '{';
  }
  return false;
}

}  // namespace

StatusOr<Policy> ParsePolicy(std::string_view name, std::string_view text) {
  TRESOR_ASSIGN_OR_RETURN(hcl::Value root,
                          LooksLikeJson(text) ? hcl::ParseJson(text) : hcl::ParseHcl(text));
  if (!root.IsObject()) return InvalidArgumentError("a policy must be an object");

  Policy policy{std::string(name), std::string(text), {}};
  for (const hcl::ObjectEntry& entry : root.object()) {
    const int line = entry.position.line;
    if (entry.key == "path") {
      auto blocks = hcl::ExpandBlock(entry, 1);
      if (!blocks.ok()) return ErrorAt(line, "", "path: " + blocks.status().message());
      for (const hcl::Block& block : *blocks) {
        TRESOR_ASSIGN_OR_RETURN(PathRule rule, ParseRule(block));
        policy.rules.push_back(std::move(rule));
      }
    } else if (entry.key == "name") {
      if (!entry.value.IsString()) {
        return ErrorAt(
            line, "",
            "name: expected a string, got " + std::string(hcl::TypeName(entry.value.type())));
      }
    } else {
      return ErrorAt(line, "", "unknown key " + Quote(entry.key));
    }
  }
  return policy;
}

StatusOr<std::string> NormalizePolicyName(std::string_view name) {
  if (name.empty()) return InvalidArgumentError("policy name must not be empty");
  std::string lower;
  lower.reserve(name.size());
  for (char c : name) {
    auto u = static_cast<unsigned char>(c);
    if (c == '/') return InvalidArgumentError("policy name must not contain '/'");
    if (std::iscntrl(u)) {
      return InvalidArgumentError("policy name must not contain control characters");
    }
    lower.push_back(static_cast<char>(std::tolower(u)));
  }
  if (lower == "." || lower == "..") return InvalidArgumentError("invalid policy name");
  return lower;
}

}  // namespace tresor::core::policy
