// The product version, reported by `tresor version`, sys/seal-status and
// sys/health. One place, so the CLI and the server never disagree.
#pragma once

namespace tresor {

inline constexpr char kVersion[] = "0.1.0";
inline constexpr char kBuildDate[] = __DATE__;

}  // namespace tresor
