// Fuzz target: the ACL policy parser (core/policy/policy.h), whose input
// arrives over the API (sys/policy/NAME, sys/policies/acl/NAME), and the ACL
// compiled from what it accepts. The input is the policy text, HCL or JSON
// as ParsePolicy picks. Invariants: no crash, no sanitizer report, no
// exception; a refusal is InvalidArgument; every accepted rule's pattern
// matches the paths it names; a single exact rule that grants read allows a
// read of its path, a deny rule allows nothing.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/check.h"
#include "core/policy/acl.h"
#include "core/policy/policy.h"

namespace {

using tresor::core::Operation;
using tresor::core::policy::Acl;
using tresor::core::policy::PathPattern;
using tresor::core::policy::PathRule;
using tresor::core::policy::Policy;
namespace policy = tresor::core::policy;

constexpr Operation kOperations[] = {Operation::kRead,  Operation::kList,  Operation::kCreate,
                                     Operation::kUpdate, Operation::kPatch, Operation::kDelete};

// Paths the rule's pattern should match: its text, and for a prefix rule
// the text before the '*' and something under it.
std::vector<std::string> PathsOf(const PathRule& rule) {
  const std::string& text = rule.pattern.text();
  switch (rule.pattern.kind()) {
    case PathPattern::Kind::kExact:
      return {text};
    case PathPattern::Kind::kPrefix: {
      std::string prefix = text.substr(0, text.size() - 1);
      return {prefix, prefix + "x/y"};
    }
    case PathPattern::Kind::kSegment:
      return {};
  }
  return {};
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  tresor::StatusOr<Policy> parsed = policy::ParsePolicy("fuzz", text);
  if (!parsed.ok()) {
    TRESOR_CHECK(parsed.status().code() == tresor::StatusCode::kInvalidArgument);
    return 0;
  }
  TRESOR_CHECK(parsed->raw == text);
  std::shared_ptr<const Acl> acl = Acl::Compile({*parsed});
  TRESOR_CHECK(acl != nullptr && !acl->IsRoot());
  (void)acl->Describe().dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  for (const PathRule& rule : parsed->rules) {
    const std::vector<std::string> paths = PathsOf(rule);
    for (const std::string& path : paths) TRESOR_CHECK(rule.pattern.Matches(path));
    // Paths near the pattern, whether they match or not.
    const std::string& pattern = rule.pattern.text();
    std::vector<std::string> probes = paths;
    probes.push_back(pattern);
    probes.push_back(pattern + "/");
    probes.push_back(pattern.substr(0, pattern.size() / 2));
    for (const std::string& path : probes) {
      (void)rule.pattern.Matches(path);
      for (Operation op : kOperations) {
        (void)acl->Allows(op, path, /*needs_sudo=*/false);
        (void)acl->Allows(op, path, /*needs_sudo=*/true);
        (void)acl->WrappingBoundsOn(op, path);
      }
      (void)acl->CapabilitiesOn(path);
      (void)acl->Capabilities(path);
      (void)acl->HasAnyAccessUnder(path);
    }
    if (parsed->rules.size() != 1 || paths.empty()) continue;
    for (const std::string& path : paths) {
      if (rule.capabilities & policy::kDeny) {
        for (Operation op : kOperations) TRESOR_CHECK(!acl->Allows(op, path, false));
      } else if ((rule.capabilities & policy::kRead) &&
                 rule.pattern.kind() == PathPattern::Kind::kExact) {
        TRESOR_CHECK(acl->Allows(Operation::kRead, path, false));
      }
    }
  }
  return 0;
}
