#include "seal/metered_key_wrapper.h"

#include <utility>

#include "common/random.h"

namespace tresor::seal {

MeteredKeyWrapper::MeteredKeyWrapper(std::unique_ptr<KeyWrapper> inner, bool disabled,
                                     metrics::Registry& registry, Clock& clock)
    : inner_(std::move(inner)),
      clock_(clock),
      encrypts_(registry.GetCounter("vault.seal.encrypt",
                                    "Encryptions by the auto-unseal provider.")),
      decrypts_(registry.GetCounter("vault.seal.decrypt",
                                    "Decryptions by the auto-unseal provider.")),
      encrypt_errors_(registry.GetCounter("vault.seal." + inner_->Type() + ".encrypt.error",
                                          "Encryptions the auto-unseal provider failed.")),
      decrypt_errors_(registry.GetCounter("vault.seal." + inner_->Type() + ".decrypt.error",
                                          "Decryptions the auto-unseal provider failed.")),
      encrypt_time_(registry.GetSummary("vault.seal.encrypt.time",
                                        "Time of an encryption by the auto-unseal provider (ms).")),
      decrypt_time_(registry.GetSummary("vault.seal.decrypt.time",
                                        "Time of a decryption by the auto-unseal provider (ms).")) {
  health_gauge_ = registry.AddGaugeCallback(
      "tresor.seal.healthy",
      "Whether the auto-unseal provider answered its last call or probe (1) or not (0).",
      {{"seal_type", inner_->Type()}, {"disabled", disabled ? "true" : "false"}},
      [this] { return Health(); });
}

void MeteredKeyWrapper::Record(bool ok) {
  last_outcome_.store(ok ? 1 : 0);
  last_call_.store(clock_.MonotonicNow());
}

StatusOr<std::string> MeteredKeyWrapper::Wrap(const SecureBytes& key) {
  encrypts_.Add();
  StatusOr<std::string> wrapped = [&] {
    metrics::ScopedTimer timer(encrypt_time_);
    return inner_->Wrap(key);
  }();
  if (!wrapped.ok()) encrypt_errors_.Add();
  Record(wrapped.ok());
  return wrapped;
}

StatusOr<SecureBytes> MeteredKeyWrapper::Unwrap(std::string_view blob) {
  decrypts_.Add();
  StatusOr<SecureBytes> key = [&] {
    metrics::ScopedTimer timer(decrypt_time_);
    return inner_->Unwrap(blob);
  }();
  if (!key.ok()) decrypt_errors_.Add();
  // A blob the provider did not wrap says nothing of the provider's health.
  if (key.ok() || key.status().code() != StatusCode::kInvalidArgument) Record(key.ok());
  return key;
}

std::optional<double> MeteredKeyWrapper::Health() {
  const int outcome = last_outcome_.load();
  const auto interval = outcome == 1 ? kProbeWhenHealthy : kProbeWhenFailing;
  const bool due = outcome < 0 || clock_.MonotonicNow() - last_call_.load() >= interval;
  if (due) {
    std::unique_lock probing(probe_mu_, std::try_to_lock);
    // The probe goes through Wrap, so it is counted like any other call.
    if (probing.owns_lock()) (void)Wrap(RandomSecureBytes(32));
  }
  const int now = last_outcome_.load();
  if (now < 0) return std::nullopt;
  return now;
}

}  // namespace tresor::seal
