// PrefixView: a Backend confined to the keys under one prefix of another
// Backend ("logical/<uuid>/"). Every key the view is given is validated and
// prefixed, so nothing the view's user passes can name a key outside it.
// This is how an engine sees only its own mount's storage.
//
// Threads: as thread-safe as the wrapped backend (it adds no state).
#pragma once

#include <string>

#include "storage/backend.h"

namespace tresor::storage {

class PrefixView final : public Backend {
 public:
  // base outlives the view. REQUIRES: prefix is non-empty and ends in '/'.
  PrefixView(Backend& base, std::string prefix);

  StatusOr<std::optional<std::string>> Get(std::string_view key) override;
  Status Put(std::string_view key, std::string_view value) override;
  Status Delete(std::string_view key) override;
  StatusOr<std::vector<std::string>> ListPage(std::string_view prefix, std::string_view after,
                                              std::size_t limit) override;
  Status Batch(const std::vector<Operation>& ops) override;

  const std::string& prefix() const { return prefix_; }

  // Deletes every key in the view (a mount being disabled), in batches.
  Status DeleteAll();

 private:
  Backend& base_;
  const std::string prefix_;
};

}  // namespace tresor::storage
