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
  constexpr std::size_t kBatchSize = 256;
  TRESOR_ASSIGN_OR_RETURN(auto keys, ListRecursive(base_, prefix_));
  for (std::size_t i = 0; i < keys.size(); i += kBatchSize) {
    std::vector<Operation> ops;
    for (std::size_t j = i; j < std::min(keys.size(), i + kBatchSize); ++j) {
      ops.push_back(Operation::Delete(keys[j]));
    }
    TRESOR_RETURN_IF_ERROR(base_.Batch(ops));
  }
  return Status::Ok();
}

}  // namespace tresor::storage
