// GET sys/metrics: the process's metrics (common/metrics.h), in Prometheus'
// text format with ?format=prometheus, in Vault's JSON form otherwise; and
// the gauges of the core's own state (vault.core.unsealed,
// vault.core.active, vault.autopilot.*, on the active node the usage
// gauges vault.token.count and vault.secret.kv.count (per KV mount) and
// Tresor's tresor.snapshot.auto.* per automated snapshot schedule, and the
// DR replication positions and lag), computed at scrape time.
//
// Who calls it: Core's constructor, once. Every node answers for itself (a
// standby never forwards it: core/ha.cc). A token with read on sys/metrics
// is required unless the listeners set unauthenticated_metrics_access, read
// from metrics::Default().settings() at registration; then the route is
// also answered while sealed, so a scrape still sees vault_core_unsealed 0.
//
// Threads: the handler runs on any worker thread; the gauge callbacks run
// under the metrics registry's mutex and only read atomics of lifecycle and
// ha (and, for the snapshot gauges, read the schedules' status through the
// barrier). The callbacks are unregistered when the router is destroyed,
// which Core does before lifecycle, ha, the snapshotter, the mounts and DR
// replication.
#pragma once

#include "core/ha.h"
#include "core/lifecycle.h"
#include "core/mount_table.h"
#include "core/replication/dr_replication.h"
#include "core/snapshot_auto/auto_snapshotter.h"
#include "core/sys_router.h"

namespace tresor::core {

struct MetricsSources {
  Lifecycle& lifecycle;
  Ha& ha;
  Clock& clock;
  snapshot_auto::AutoSnapshotter& auto_snapshots;
  MountTable& mounts;
  replication::DrReplication& dr;
};

void RegisterMetricsHandlers(SysRouter& router, const MetricsSources& sources);

}  // namespace tresor::core
