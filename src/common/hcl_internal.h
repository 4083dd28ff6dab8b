// Helpers shared by the HCL source files (hcl_value.cc, hcl_parser.cc,
// hcl_json.cc); not part of the hcl.h interface.
#pragma once

#include <string>

#include "common/hcl.h"

namespace tresor::hcl::internal {

bool IsIdentifierStart(char c);
bool IsIdentifierChar(char c);
// "line N, column M: ", the prefix of every parse error.
std::string PositionPrefix(Position p);

}  // namespace tresor::hcl::internal
