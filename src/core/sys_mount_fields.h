// Reading the bodies of sys/mounts/<path> (enable) and .../tune, with
// Vault's field names and weak typing, into what the MountTable takes.
//
// Who calls it: sys_mount_handlers.cc. Threads: stateless functions.
#pragma once

#include "core/mount_table.h"
#include "engines/field_reader.h"

namespace tresor::core {

// type (required; "kv-v2" is kv with options.version "2", as Vault's CLI
// spells it), description, options (string map), config.default_lease_ttl,
// config.max_lease_ttl (durations), local, seal_wrap. plugin_name, when
// given, must equal the type. InvalidArgument naming the field otherwise,
// and for an unknown type ("plugin not found in the catalog: <type>").
StatusOr<MountEntry> ReadEnableFields(engines::FieldReader& fields, MountKind kind);

// default_lease_ttl, max_lease_ttl (a duration, or "system" for the
// system's), description, options.
StatusOr<MountTune> ReadTuneFields(engines::FieldReader& fields);

}  // namespace tresor::core
