// The product version, reported by `tresor version`, sys/seal-status and
// sys/health. One place, so the CLI and the server never disagree.
#pragma once

namespace tresor {

inline constexpr char kVersion[] = "0.1.0";
// The Vault API level Tresor answers as, and the `version` that
// sys/seal-status, sys/health and the autopilot state report: Vault's
// version with Tresor's own as semver build metadata, as Vault Enterprise
// reports "1.15.0+ent". Tools that compare Vault versions to decide what a
// server can do (go-version, Python's packaging) read 1.15.0 and ignore the
// rest; docs/vault-differences.md.
inline constexpr char kVaultApiVersion[] = "1.15.0";
inline constexpr char kReportedVersion[] = "1.15.0+tresor.0.1.0";
// When this build was configured, RFC 3339 in UTC, as Vault reports it.
extern const char kBuildDate[];

}  // namespace tresor
