// Leases: Vault's sys/leases API over everything that has a lifetime a
// client can look up, renew and revoke (docs/leases.md).
//
// A lease is owned by a LeaseSource, which keeps the lease's state in its
// own storage (inside the barrier) and decides its expiry with the clock it
// was given; this class routes lease IDs to their source and answers the
// sys/leases endpoints in Vault's shapes. Today the token store is the one
// source: every service token is a lease whose ID is its creation path and
// its hash ("auth/userpass/login/alice/<hash>"), so revoke-prefix
// "auth/userpass/" revokes every token userpass handed out. A later dynamic
// engine registers a source for its mount's prefix.
//
// Nothing is kept here: a revocation is the source's storage write, so it
// survives a restart and a failover, and an expiry is the source's clock.
//
// Who calls it: core's sys/leases and legacy sys/renew, sys/revoke*
// handlers (core/sys_lease_handlers.cc). Threads: thread-safe if the sources
// are.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/status.h"

namespace tresor::core {

struct LeaseInfo {
  std::string id;
  Clock::TimePoint issue_time;
  std::optional<Clock::TimePoint> expire_time;  // none: never expires
  std::optional<Clock::TimePoint> last_renewal;
  bool renewable = false;
  // Seconds left at the source's now; for a renewal, the TTL it granted.
  long long ttl_seconds = 0;
};

class LeaseSource {
 public:
  virtual ~LeaseSource() = default;
  // Whether lease_id is one of this source's (by its prefix).
  virtual bool Owns(std::string_view lease_id) const = 0;
  // std::nullopt for an unknown or expired lease.
  virtual StatusOr<std::optional<LeaseInfo>> Lookup(std::string_view lease_id) = 0;
  // The renewed lease; InvalidArgument "lease not found" or "lease is not
  // renewable" and the source's own limits.
  virtual StatusOr<LeaseInfo> Renew(std::string_view lease_id, std::chrono::seconds increment) = 0;
  // OK also when the lease is unknown (there is nothing to do).
  virtual Status Revoke(std::string_view lease_id) = 0;
  // Calls visit with every live lease ID that starts with prefix.
  virtual Status ForEachLease(std::string_view prefix,
                              const std::function<Status(const std::string&)>& visit) = 0;
  // Cleans up what a crash mid-revocation left behind (sys/leases/tidy).
  virtual Status Tidy() = 0;
};

class Leases {
 public:
  void AddSource(std::unique_ptr<LeaseSource> source) { sources_.push_back(std::move(source)); }

  StatusOr<LeaseInfo> Lookup(std::string_view lease_id);
  StatusOr<LeaseInfo> Renew(std::string_view lease_id, std::chrono::seconds increment);
  Status Revoke(std::string_view lease_id);
  // Revokes every lease under prefix; returns how many. With force, a
  // lease that fails to revoke is skipped (and counted in *failed) instead
  // of stopping the walk (Vault's revoke-force).
  StatusOr<std::size_t> RevokePrefix(std::string_view prefix, bool force, std::size_t* failed);
  // The next path segment of every lease under prefix ("a/b/" lists "c/"
  // for "a/b/c/d" and "e" for "a/b/e"), sorted and unique, as Vault lists
  // sys/leases/lookup/<prefix>.
  StatusOr<std::vector<std::string>> List(std::string_view prefix);
  // Every source's Tidy.
  Status Tidy();

 private:
  LeaseSource* SourceOf(std::string_view lease_id) const;

  // Set at construction, then read-only.
  std::vector<std::unique_ptr<LeaseSource>> sources_;
};

}  // namespace tresor::core
