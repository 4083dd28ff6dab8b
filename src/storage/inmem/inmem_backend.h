// An in-memory Backend: a sorted map under one mutex. Serves `server -dev`
// and the tests of every layer. Nothing survives the process.
// Threads: all methods are thread-safe.
#pragma once

#include <map>
#include <mutex>

#include "storage/backend.h"

namespace tresor::storage {

class InmemBackend final : public Backend {
 public:
  StatusOr<std::optional<std::string>> Get(std::string_view key) override;
  Status Put(std::string_view key, std::string_view value) override;
  Status Delete(std::string_view key) override;
  StatusOr<std::vector<std::string>> ListPage(std::string_view prefix, std::string_view after,
                                          std::size_t limit) override;
  Status Batch(const std::vector<Operation>& ops) override;

  // How many Get calls were made; tests use it to prove hot paths read once.
  std::size_t GetCountForTest() const;

 private:
  mutable std::mutex mu_;
  std::map<std::string, std::string, std::less<>> data_;  // GUARDED_BY(mu_)
  std::size_t gets_ = 0;                                  // GUARDED_BY(mu_)
};

// Lists the immediate children of prefix among the sorted keys of a map;
// shared by backends that keep a sorted index.
std::vector<std::string> ListChildren(const std::map<std::string, std::string, std::less<>>& data,
                                      std::string_view prefix, std::string_view after,
                                      std::size_t limit);

}  // namespace tresor::storage
