// FaultInjectingBackend: a storage::Backend wrapper for the tests of the
// layers above storage (barrier, core, ...). It forwards to any Backend and,
// on demand, fails writes or reads, reports a full disk, fails every call
// after N more, slows calls down, and counts calls by type.
//
// What it promises: a call it fails never reaches the wrapped backend, so a
// failed write changes nothing (the strictest reading of the Backend
// contract's "may or may not have happened"). Counters count every call,
// failed or not. Optional capabilities (AsHA, AsSnapshotter) are those of the
// wrapped backend, without fault injection.
//
// Knobs:
//   SetFailWrites   Put, Delete and Batch return IOError.
//   SetFailReads    Get and ListPage return IOError.
//   SetDiskFull     Put and Batch return ResourceExhausted (Delete still works,
//                   as freeing space does on a real full disk).
//   FailAfterOperations(n)  the next n calls of any kind behave normally;
//                   every later call returns IOError until ClearFaults.
//   SetDelay        every call sleeps first (only for tests that need a slow
//                   backend; never as synchronisation).
//
// Threads: all methods, knobs and counters are thread-safe.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <memory>
#include <mutex>
#include <optional>

#include "storage/forwarding_backend.h"

namespace tresor::storage {

class FaultInjectingBackend final : public ForwardingBackend {
 public:
  // Wraps base, which must outlive this object.
  explicit FaultInjectingBackend(Backend* base);
  // Wraps and owns base.
  explicit FaultInjectingBackend(std::unique_ptr<Backend> base);

  StatusOr<std::optional<std::string>> Get(std::string_view key) override;
  Status Put(std::string_view key, std::string_view value) override;
  Status Delete(std::string_view key) override;
  StatusOr<std::vector<std::string>> ListPage(std::string_view prefix, std::string_view after,
                                              std::size_t limit) override;
  Status Batch(const std::vector<Operation>& ops) override;
  // Close, AsHA and AsSnapshotter are forwarded without faults.

  void SetFailWrites(bool fail);
  void SetFailReads(bool fail);
  void SetDiskFull(bool full);
  void FailAfterOperations(std::size_t count);
  void SetDelay(std::chrono::microseconds delay);
  // Turns every knob off (counters are kept).
  void ClearFaults();

  std::size_t GetCountForTest() const { return gets_.load(); }
  std::size_t PutCountForTest() const { return puts_.load(); }
  std::size_t DeleteCountForTest() const { return deletes_.load(); }
  std::size_t ListCountForTest() const { return lists_.load(); }
  std::size_t BatchCountForTest() const { return batches_.load(); }
  void ResetCountsForTest();

 private:
  enum class Kind { kRead, kPut, kDelete, kBatch };
  // Sleeps if slow, then returns the fault for a call of this kind, if any.
  Status Admit(Kind kind);

  std::unique_ptr<Backend> owned_;

  mutable std::mutex mu_;
  bool fail_writes_ = false;               // GUARDED_BY(mu_)
  bool fail_reads_ = false;                // GUARDED_BY(mu_)
  bool disk_full_ = false;                 // GUARDED_BY(mu_)
  std::optional<std::size_t> fail_after_;  // GUARDED_BY(mu_)
  std::chrono::microseconds delay_{0};     // GUARDED_BY(mu_)

  std::atomic<std::size_t> gets_{0};
  std::atomic<std::size_t> puts_{0};
  std::atomic<std::size_t> deletes_{0};
  std::atomic<std::size_t> lists_{0};
  std::atomic<std::size_t> batches_{0};
};

}  // namespace tresor::storage
