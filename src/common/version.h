// The product version, reported by `tresor version`, sys/seal-status and
// sys/health. One place, so the CLI and the server never disagree.
#pragma once

namespace tresor {

inline constexpr char kVersion[] = "0.1.0";
// When this build was configured, RFC 3339 in UTC, as Vault reports it.
extern const char kBuildDate[];

}  // namespace tresor
