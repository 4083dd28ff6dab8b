// An AppRole secret ID as stored: never the secret ID itself, only its
// salted HMAC, with the limits it was issued under. And how a request to
// issue one (role/<name>/secret-id, custom-secret-id) is read against its
// role's limits.
//
// Who uses it: AppRoleStore (persists entries), the engine's secret-id
// endpoints and login.
// Threads: plain values and stateless functions.
#pragma once

#include <chrono>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "engines/auth/approle/approle_role.h"
#include "engines/field_reader.h"

namespace tresor::engines::approle {

struct SecretIdEntry {
  // Hex HMAC-SHA256 of the secret ID under the mount's salt: the entry's
  // storage name. Compared in constant time at login.
  std::string secret_id_hmac;
  std::string accessor;    // a UUID; public, like a token accessor
  long long num_uses = 0;  // uses left; 0: unlimited
  std::chrono::seconds ttl{0};
  Clock::TimePoint creation_time;
  Clock::TimePoint last_updated_time;
  std::optional<Clock::TimePoint> expiration_time;  // none when ttl is 0
  std::map<std::string, std::string> metadata;
  std::vector<std::string> cidr_list;          // where it may log in from
  std::vector<std::string> token_bound_cidrs;  // overrides the role's
  bool ExpiredAt(Clock::TimePoint now) const {
    return expiration_time.has_value() && now >= *expiration_time;
  }
};

// The limits of a new secret ID, read from a secret-id request and checked
// against its role (Vault's rules):
//   metadata           a JSON object of strings given as a string (Vault's
//                      form: hvac's generate_secret_id sends it so), or as an
//                      object, or "k=v,k2=v2"
//   cidr_list          CIDR blocks within the role's secret_id_bound_cidrs
//   token_bound_cidrs  CIDR blocks within the role's token_bound_cidrs
//   num_uses           >= 0, at most the role's secret_id_num_uses (when
//                      that is set); the role's when absent
//   ttl                at most the role's secret_id_ttl (when set); the
//                      role's when absent; capped at `mount_max_ttl` when
//                      that is non-zero, as Vault caps it at the mount's max
// InvalidArgument naming the field. The result has no hmac, accessor or
// times yet (AppRoleStore sets them).
StatusOr<SecretIdEntry> ReadSecretIdRequest(FieldReader& fields, const Role& role,
                                            std::chrono::seconds mount_max_ttl);

// Vault's lookup form: secret_id_accessor, secret_id_num_uses,
// secret_id_ttl, creation_time, expiration_time ("0001-01-01T00:00:00Z"
// when none), last_updated_time, metadata, cidr_list, token_bound_cidrs.
nlohmann::json SecretIdLookupData(const SecretIdEntry& entry);

std::string SerializeSecretId(const SecretIdEntry& entry);
// Corruption when malformed.
StatusOr<SecretIdEntry> ParseSecretId(std::string_view text);

}  // namespace tresor::engines::approle
