// Fuzz target: the HCL1 parser (common/hcl.h), which reads operator-written
// server configs and, over the API, ACL policies. The input is parsed as
// HCL, and again as JSON through the same tree; whatever parses is rendered
// back (ToJson, DebugString), walked with the checked accessors and its
// blocks expanded as the config reader expands them.
// Invariants: no crash, no sanitizer report, no exception; every error is
// InvalidArgument; a parsed HCL file is always an object.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "common/check.h"
#include "common/hcl.h"

namespace {

using tresor::hcl::Value;

void Walk(const Value& value, int depth) {
  TRESOR_CHECK(depth <= tresor::hcl::kMaxNestingDepth + 2);
  (void)value.AsBool();
  (void)value.AsInt();
  (void)value.AsDouble();
  (void)value.AsString();
  if (value.IsList()) {
    for (const Value& item : value.list()) Walk(item, depth + 1);
  } else if (value.IsObject()) {
    for (const auto& entry : value.object()) {
      TRESOR_CHECK(value.Find(entry.key) != nullptr);
      Walk(entry.value, depth + 1);
    }
  }
}

void Check(const tresor::StatusOr<Value>& parsed, bool hcl) {
  if (!parsed.ok()) {
    TRESOR_CHECK(parsed.status().code() == tresor::StatusCode::kInvalidArgument);
    return;
  }
  if (hcl) TRESOR_CHECK(parsed->IsObject());
  Walk(*parsed, 0);
  if (parsed->IsObject()) {
    // What server/config.cc does with `listener "tcp" {...}` and friends.
    for (const auto& entry : parsed->object()) {
      for (int labels = 0; labels <= 2; ++labels) (void)tresor::hcl::ExpandBlock(entry, labels);
    }
  }
  (void)tresor::hcl::ToJson(*parsed).dump(-1, ' ', false,
                                          nlohmann::json::error_handler_t::replace);
  (void)parsed->DebugString();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  Check(tresor::hcl::ParseHcl(text), /*hcl=*/true);
  Check(tresor::hcl::ParseJson(text), /*hcl=*/false);
  return 0;
}
