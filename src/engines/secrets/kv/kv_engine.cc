#include "engines/secrets/kv/kv_engine.h"

#include "engines/secrets/kv/kv_v1_engine.h"
#include "engines/secrets/kv/kv_v2_engine.h"

namespace tresor::engines::kv {

StatusOr<std::unique_ptr<logical::Engine>> NewKvEngine(const logical::EngineContext& context) {
  std::string version;
  if (auto it = context.options.find("version"); it != context.options.end()) {
    version = it->second;
  }
  if (version.empty() || version == "1") {
    return std::unique_ptr<logical::Engine>(std::make_unique<KvV1Engine>(context.storage));
  }
  if (version == "2") {
    return std::unique_ptr<logical::Engine>(
        std::make_unique<KvV2Engine>(context.storage, context.clock));
  }
  return InvalidArgumentError("kv: version must be \"1\" or \"2\", got \"" + version.substr(0, 16) +
                              "\"");
}

}  // namespace tresor::engines::kv
