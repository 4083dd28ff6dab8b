#include "core/sys_mount_fields.h"

#include "core/engine_factory.h"

namespace tresor::core {
namespace {

using engines::FieldReader;

// A lease TTL: a duration, or "system" (and "") for the system's own.
StatusOr<std::optional<std::chrono::seconds>> LeaseTtl(FieldReader& fields,
                                                        std::string_view name) {
  auto duration = fields.Duration(name);
  if (duration.ok()) return duration;
  auto text = fields.String(name);
  if (text.ok() && text->has_value() && **text == "system") {
    return std::optional<std::chrono::seconds>(std::chrono::seconds(0));
  }
  return duration.status();
}

}  // namespace

StatusOr<MountEntry> ReadEnableFields(FieldReader& fields, MountKind kind) {
  MountEntry entry;
  TRESOR_ASSIGN_OR_RETURN(auto type, fields.String("type"));
  if (!type.has_value() || type->empty()) return InvalidArgumentError("type: field is required");
  entry.type = *type;
  TRESOR_ASSIGN_OR_RETURN(auto plugin_name, fields.String("plugin_name"));
  if (plugin_name.has_value() && !plugin_name->empty() && *plugin_name != entry.type) {
    return InvalidArgumentError("plugin_name: external plugins are not supported; use type");
  }
  TRESOR_ASSIGN_OR_RETURN(auto options, fields.StringMap("options"));
  if (options.has_value()) entry.options = std::move(*options);
  if (entry.type == "kv-v2" && kind == MountKind::kSecrets) {
    entry.type = "kv";
    entry.options["version"] = "2";
  }
  if (!IsKnownEngineType(kind, entry.type)) {
    return InvalidArgumentError("plugin not found in the catalog: " + entry.type);
  }
  TRESOR_ASSIGN_OR_RETURN(auto description, fields.String("description"));
  entry.description = description.value_or("");
  TRESOR_ASSIGN_OR_RETURN(auto local, fields.Bool("local"));
  entry.local = local.value_or(false);
  TRESOR_ASSIGN_OR_RETURN(auto seal_wrap, fields.Bool("seal_wrap"));
  entry.seal_wrap = seal_wrap.value_or(false);
  // Read so that clients sending Vault's defaults get no warning.
  TRESOR_RETURN_IF_ERROR(fields.Bool("external_entropy_access").status());
  TRESOR_RETURN_IF_ERROR(fields.String("plugin_version").status());

  // config is an object of its own; Tresor reads its TTLs and ignores the
  // rest (listing_visibility, audit keys, ...), which Vault uses for
  // features Tresor does not have.
  auto config_it = fields.Raw("config");
  TRESOR_ASSIGN_OR_RETURN(FieldReader config, FieldReader::FromObject(config_it, "config"));
  TRESOR_ASSIGN_OR_RETURN(auto default_ttl, LeaseTtl(config, "default_lease_ttl"));
  TRESOR_ASSIGN_OR_RETURN(auto max_ttl, LeaseTtl(config, "max_lease_ttl"));
  entry.config.default_lease_ttl = default_ttl.value_or(std::chrono::seconds(0));
  entry.config.max_lease_ttl = max_ttl.value_or(std::chrono::seconds(0));
  if (entry.EffectiveDefaultLeaseTtl() > entry.EffectiveMaxLeaseTtl()) {
    return InvalidArgumentError("the default lease TTL cannot be greater than the max lease TTL");
  }
  return entry;
}

StatusOr<MountTune> ReadTuneFields(FieldReader& fields) {
  MountTune tune;
  TRESOR_ASSIGN_OR_RETURN(tune.default_lease_ttl, LeaseTtl(fields, "default_lease_ttl"));
  TRESOR_ASSIGN_OR_RETURN(tune.max_lease_ttl, LeaseTtl(fields, "max_lease_ttl"));
  TRESOR_ASSIGN_OR_RETURN(tune.description, fields.String("description"));
  TRESOR_ASSIGN_OR_RETURN(auto options, fields.StringMap("options"));
  if (options.has_value()) tune.options = std::move(*options);
  return tune;
}

}  // namespace tresor::core
