// MeteredKeyWrapper: an auto-unseal provider (seal/key_wrapper.h) with its
// calls counted and timed under Vault's seal metric names, and its health
// exported as the gauge tresor.seal.healthy (docs/observability.md).
//
// Vault's names: vault.seal.encrypt / vault.seal.decrypt (counters),
// vault.seal.encrypt.time / vault.seal.decrypt.time (summaries, ms) and
// vault.seal.<type>.encrypt.error / .decrypt.error (counters). The health
// gauge is 1 when the provider's last call succeeded and 0 when it failed.
// A node calls its provider only at init, unseal and rotation, so a last
// call may be days old: when it is older than the probe interval (a minute
// while healthy, ten seconds while not, as Vault's seal health checks),
// the scrape that reads the gauge first wraps a random probe key.
//
// Who calls it: seal::NewKeyWrapper wraps every provider it makes.
// Threads: as KeyWrapper; the gauge callback may run on a scrape thread
// while other calls run.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "common/clock.h"
#include "common/metrics.h"
#include "seal/key_wrapper.h"

namespace tresor::seal {

class MeteredKeyWrapper final : public KeyWrapper {
 public:
  static constexpr std::chrono::seconds kProbeWhenHealthy{60};
  static constexpr std::chrono::seconds kProbeWhenFailing{10};

  // `disabled`: the provider of a disabled seal block (a migration's old
  // seal), a label of the health gauge so both providers of a migration
  // show. `registry` and `clock` outlive the wrapper.
  MeteredKeyWrapper(std::unique_ptr<KeyWrapper> inner, bool disabled,
                    metrics::Registry& registry = metrics::Default(),
                    Clock& clock = SystemClock::Get());

  std::string Type() const override { return inner_->Type(); }
  StatusOr<std::string> Wrap(const SecureBytes& key) override;
  StatusOr<SecureBytes> Unwrap(std::string_view blob) override;
  std::string KeyVersion(std::string_view blob) const override {
    return inner_->KeyVersion(blob);
  }

  // The gauge's value: probes first when the last call is too old. nullopt
  // while a probe by another scrape is under way and nothing is known yet.
  std::optional<double> Health();

 private:
  void Record(bool ok);

  std::unique_ptr<KeyWrapper> inner_;
  Clock& clock_;
  metrics::Counter& encrypts_;
  metrics::Counter& decrypts_;
  metrics::Counter& encrypt_errors_;
  metrics::Counter& decrypt_errors_;
  metrics::Summary& encrypt_time_;
  metrics::Summary& decrypt_time_;

  // -1: no call yet; 0: the last call failed; 1: it succeeded.
  std::atomic<int> last_outcome_{-1};
  std::atomic<Clock::MonotonicTimePoint> last_call_{};
  // One probe at a time; a scrape that finds one running reports the last
  // outcome rather than waiting.
  std::mutex probe_mu_;
  metrics::CallbackHandle health_gauge_;  // last: unregistered first
};

}  // namespace tresor::seal
