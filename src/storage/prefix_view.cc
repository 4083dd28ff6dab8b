#include "storage/prefix_view.h"

#include <algorithm>

#include "common/check.h"

namespace tresor::storage {

PrefixView::PrefixView(Backend& base, std::string prefix)
    : base_(base), prefix_(std::move(prefix)) {
  TRESOR_CHECK(!prefix_.empty() && prefix_.back() == '/');
}

StatusOr<std::optional<std::string>> PrefixView::Get(std::string_view key) {
  TRESOR_RETURN_IF_ERROR(ValidateKey(key));
  return base_.Get(prefix_ + std::string(key));
}

Status PrefixView::Put(std::string_view key, std::string_view value) {
  TRESOR_RETURN_IF_ERROR(ValidateKey(key));
  return base_.Put(prefix_ + std::string(key), value);
}

Status PrefixView::Delete(std::string_view key) {
  TRESOR_RETURN_IF_ERROR(ValidateKey(key));
  return base_.Delete(prefix_ + std::string(key));
}

StatusOr<std::vector<std::string>> PrefixView::ListPage(std::string_view prefix,
                                                        std::string_view after,
                                                        std::size_t limit) {
  TRESOR_RETURN_IF_ERROR(ValidatePrefix(prefix));
  return base_.ListPage(prefix_ + std::string(prefix), after, limit);
}

Status PrefixView::Batch(const std::vector<Operation>& ops) {
  std::vector<Operation> prefixed;
  prefixed.reserve(ops.size());
  for (const auto& op : ops) {
    TRESOR_RETURN_IF_ERROR(ValidateKey(op.key));
    prefixed.push_back({op.type, prefix_ + op.key, op.value});
  }
  return base_.Batch(prefixed);
}

Status PrefixView::DeleteAll() {
  // Deleted as walked, a batch at a time: a mount of millions of keys is
  // never listed whole in memory.
  constexpr std::size_t kBatchSize = 256;
  std::vector<Operation> ops;
  TRESOR_RETURN_IF_ERROR(ForEachKey(base_, prefix_, [&](const std::string& key) -> Status {
    ops.push_back(Operation::Delete(key));
    if (ops.size() < kBatchSize) return Status::Ok();
    Status deleted = base_.Batch(ops);
    ops.clear();
    return deleted;
  }));
  return ops.empty() ? Status::Ok() : base_.Batch(ops);
}

}  // namespace tresor::storage
