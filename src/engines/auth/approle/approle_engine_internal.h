// Helpers shared by the AppRole engine's handler files (approle_*.cc);
// not for use outside the engine.
#pragma once

#include <string>
#include <string_view>

#include "common/status.h"
#include "engines/field_reader.h"
#include "engines/logical.h"

namespace tresor::engines::approle {

// kCreate or kUpdate: a POST or PUT.
bool IsApproleWrite(logical::Operation op);

// 405 "<operation> is not supported on <mount><path>".
Status ApproleUnsupported(const logical::Request& request);

// A string field that must be present and non-empty; InvalidArgument
// "missing <name>" (Vault's words) otherwise.
StatusOr<std::string> ApproleRequiredString(FieldReader& fields, std::string_view name);

// Adds Vault's warning for body fields nobody read.
void AddApproleUnusedWarning(const FieldReader& fields, logical::Response& response);

}  // namespace tresor::engines::approle
