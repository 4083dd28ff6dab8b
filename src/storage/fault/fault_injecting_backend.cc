#include "storage/fault/fault_injecting_backend.h"

#include <thread>

namespace tresor::storage {

FaultInjectingBackend::FaultInjectingBackend(Backend* base) : ForwardingBackend(base) {}

FaultInjectingBackend::FaultInjectingBackend(std::unique_ptr<Backend> base)
    : ForwardingBackend(base.get()), owned_(std::move(base)) {}

Status FaultInjectingBackend::Admit(Kind kind) {
  std::chrono::microseconds delay;
  Status fault;
  {
    std::lock_guard lock(mu_);
    delay = delay_;
    if (fail_after_.has_value()) {
      if (*fail_after_ == 0) {
        fault = IOError("storage: injected failure after the configured number of operations");
      } else {
        --*fail_after_;
      }
    }
    if (fault.ok()) {
      bool write = kind != Kind::kRead;
      if (write && fail_writes_) {
        fault = IOError("storage: injected write failure");
      } else if (!write && fail_reads_) {
        fault = IOError("storage: injected read failure");
      } else if (disk_full_ && (kind == Kind::kPut || kind == Kind::kBatch)) {
        fault = ResourceExhaustedError("storage: injected full disk");
      }
    }
  }
  // Sleep outside the lock so that slow calls still overlap.
  if (delay.count() > 0) std::this_thread::sleep_for(delay);
  return fault;
}

StatusOr<std::optional<std::string>> FaultInjectingBackend::Get(std::string_view key) {
  ++gets_;
  TRESOR_RETURN_IF_ERROR(Admit(Kind::kRead));
  return ForwardingBackend::Get(key);
}

Status FaultInjectingBackend::Put(std::string_view key, std::string_view value) {
  ++puts_;
  TRESOR_RETURN_IF_ERROR(Admit(Kind::kPut));
  return ForwardingBackend::Put(key, value);
}

Status FaultInjectingBackend::Delete(std::string_view key) {
  ++deletes_;
  TRESOR_RETURN_IF_ERROR(Admit(Kind::kDelete));
  return ForwardingBackend::Delete(key);
}

StatusOr<std::vector<std::string>> FaultInjectingBackend::ListPage(std::string_view prefix,
                                                                   std::string_view after,
                                                                   std::size_t limit) {
  ++lists_;
  TRESOR_RETURN_IF_ERROR(Admit(Kind::kRead));
  return ForwardingBackend::ListPage(prefix, after, limit);
}

Status FaultInjectingBackend::Batch(const std::vector<Operation>& ops) {
  ++batches_;
  TRESOR_RETURN_IF_ERROR(Admit(Kind::kBatch));
  return ForwardingBackend::Batch(ops);
}

void FaultInjectingBackend::SetFailWrites(bool fail) {
  std::lock_guard lock(mu_);
  fail_writes_ = fail;
}

void FaultInjectingBackend::SetFailReads(bool fail) {
  std::lock_guard lock(mu_);
  fail_reads_ = fail;
}

void FaultInjectingBackend::SetDiskFull(bool full) {
  std::lock_guard lock(mu_);
  disk_full_ = full;
}

void FaultInjectingBackend::FailAfterOperations(std::size_t count) {
  std::lock_guard lock(mu_);
  fail_after_ = count;
}

void FaultInjectingBackend::SetDelay(std::chrono::microseconds delay) {
  std::lock_guard lock(mu_);
  delay_ = delay;
}

void FaultInjectingBackend::ClearFaults() {
  std::lock_guard lock(mu_);
  fail_writes_ = false;
  fail_reads_ = false;
  disk_full_ = false;
  fail_after_.reset();
  delay_ = std::chrono::microseconds(0);
}

void FaultInjectingBackend::ResetCountsForTest() {
  gets_ = 0;
  puts_ = 0;
  deletes_ = 0;
  lists_ = 0;
  batches_ = 0;
}

}  // namespace tresor::storage
