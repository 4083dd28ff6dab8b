#include "core/mount_entry.h"

namespace tresor::core {

std::chrono::seconds MountEntry::EffectiveDefaultLeaseTtl() const {
  return config.default_lease_ttl.count() > 0 ? config.default_lease_ttl : kSystemDefaultLeaseTtl;
}

std::chrono::seconds MountEntry::EffectiveMaxLeaseTtl() const {
  return config.max_lease_ttl.count() > 0 ? config.max_lease_ttl : kSystemMaxLeaseTtl;
}

nlohmann::json MountEntryToJson(const MountEntry& entry) {
  return {{"path", entry.path},
          {"type", entry.type},
          {"description", entry.description},
          {"uuid", entry.uuid},
          {"accessor", entry.accessor},
          {"options", entry.options},
          {"config",
           {{"default_lease_ttl", entry.config.default_lease_ttl.count()},
            {"max_lease_ttl", entry.config.max_lease_ttl.count()}}},
          {"local", entry.local},
          {"seal_wrap", entry.seal_wrap}};
}

StatusOr<MountEntry> MountEntryFromJson(const nlohmann::json& json) {
  try {
    MountEntry entry;
    entry.path = json.at("path").get<std::string>();
    entry.type = json.at("type").get<std::string>();
    entry.description = json.at("description").get<std::string>();
    entry.uuid = json.at("uuid").get<std::string>();
    entry.accessor = json.at("accessor").get<std::string>();
    entry.options = json.at("options").get<std::map<std::string, std::string>>();
    const auto& config = json.at("config");
    entry.config.default_lease_ttl =
        std::chrono::seconds(config.at("default_lease_ttl").get<long long>());
    entry.config.max_lease_ttl = std::chrono::seconds(config.at("max_lease_ttl").get<long long>());
    entry.local = json.at("local").get<bool>();
    entry.seal_wrap = json.at("seal_wrap").get<bool>();
    if (entry.uuid.empty() || entry.path.empty() || entry.path.back() != '/') {
      return CorruptionError("mount table entry has an empty uuid or a malformed path");
    }
    return entry;
  } catch (const nlohmann::json::exception& e) {
    return CorruptionError(std::string("mount table entry cannot be parsed: ") + e.what());
  }
}

nlohmann::json MountEntryToApi(const MountEntry& entry) {
  nlohmann::json options = entry.options.empty() ? nlohmann::json(nullptr)
                                                 : nlohmann::json(entry.options);
  return {{"type", entry.type},
          {"description", entry.description},
          {"accessor", entry.accessor},
          {"uuid", entry.uuid},
          {"config",
           {{"default_lease_ttl", entry.config.default_lease_ttl.count()},
            {"max_lease_ttl", entry.config.max_lease_ttl.count()},
            {"force_no_cache", false}}},
          {"options", options},
          {"local", entry.local},
          {"seal_wrap", entry.seal_wrap},
          {"external_entropy_access", false},
          {"plugin_version", ""},
          {"running_plugin_version", "builtin"},
          {"running_sha256", ""}};
}

StatusOr<std::string> NormalizeMountPath(std::string_view path) {
  while (!path.empty() && path.front() == '/') path.remove_prefix(1);
  while (!path.empty() && path.back() == '/') path.remove_suffix(1);
  if (path.empty()) return InvalidArgumentError("path cannot be empty");
  std::string_view rest = path;
  while (true) {
    std::size_t slash = rest.find('/');
    std::string_view segment = rest.substr(0, slash);
    if (segment.empty() || segment == "." || segment == "..") {
      return InvalidArgumentError("invalid mount path \"" + std::string(path) +
                                  "\": empty, \".\" and \"..\" segments are not allowed");
    }
    if (segment.find_first_of("*+") != std::string_view::npos) {
      return InvalidArgumentError("invalid mount path \"" + std::string(path) +
                                  "\": '*' and '+' are not allowed");
    }
    if (slash == std::string_view::npos) break;
    rest.remove_prefix(slash + 1);
  }
  return std::string(path) + "/";
}

}  // namespace tresor::core
