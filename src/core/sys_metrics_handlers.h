// GET sys/metrics: the process's metrics (common/metrics.h), in Prometheus'
// text format with ?format=prometheus, in Vault's JSON form otherwise; and
// the gauges of the core's own state (vault.core.unsealed,
// vault.core.active, vault.autopilot.*, and on the active node Tresor's
// tresor.snapshot.auto.* per automated snapshot schedule), computed at
// scrape time.
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
// which Core does before lifecycle, ha and the snapshotter.
#pragma once

#include "core/ha.h"
#include "core/lifecycle.h"
#include "core/snapshot_auto/auto_snapshotter.h"
#include "core/sys_router.h"

namespace tresor::core {

void RegisterMetricsHandlers(SysRouter& router, Lifecycle& lifecycle, Ha& ha, Clock& clock,
                             snapshot_auto::AutoSnapshotter& auto_snapshots);

}  // namespace tresor::core
