#include "storage/inmem/inmem_backend.h"

namespace tresor::storage {

std::vector<std::string> ListChildren(const std::map<std::string, std::string, std::less<>>& data,
                                      std::string_view prefix, std::string_view after,
                                      std::size_t limit) {
  std::vector<std::string> out;
  auto it = data.lower_bound(prefix);
  while (it != data.end() && std::string_view(it->first).substr(0, prefix.size()) == prefix) {
    std::string_view rest = std::string_view(it->first).substr(prefix.size());
    std::size_t slash = rest.find('/');
    std::string name(slash == std::string_view::npos ? rest : rest.substr(0, slash + 1));
    if (name > after) {
      out.push_back(name);
      if (limit > 0 && out.size() >= limit) break;
    }
    if (slash == std::string_view::npos) {
      ++it;
    } else {
      // Skip every key inside this folder: jump past "prefix + name".
      std::string next = std::string(prefix) + name;
      next.back() = '/' + 1;
      it = data.lower_bound(next);
    }
  }
  return out;
}

StatusOr<std::optional<std::string>> InmemBackend::Get(std::string_view key) {
  TRESOR_RETURN_IF_ERROR(ValidateKey(key));
  std::lock_guard lock(mu_);
  ++gets_;
  auto it = data_.find(key);
  if (it == data_.end()) return std::optional<std::string>();
  return std::optional<std::string>(it->second);
}

Status InmemBackend::Put(std::string_view key, std::string_view value) {
  TRESOR_RETURN_IF_ERROR(ValidateKey(key));
  std::lock_guard lock(mu_);
  data_.insert_or_assign(std::string(key), std::string(value));
  return Status::Ok();
}

Status InmemBackend::Delete(std::string_view key) {
  TRESOR_RETURN_IF_ERROR(ValidateKey(key));
  std::lock_guard lock(mu_);
  auto it = data_.find(key);
  if (it != data_.end()) data_.erase(it);
  return Status::Ok();
}

StatusOr<std::vector<std::string>> InmemBackend::ListPage(std::string_view prefix,
                                                      std::string_view after, std::size_t limit) {
  TRESOR_RETURN_IF_ERROR(ValidatePrefix(prefix));
  std::lock_guard lock(mu_);
  return ListChildren(data_, prefix, after, limit);
}

Status InmemBackend::Batch(const std::vector<Operation>& ops) {
  for (const auto& op : ops) TRESOR_RETURN_IF_ERROR(ValidateKey(op.key));
  std::lock_guard lock(mu_);
  for (const auto& op : ops) {
    if (op.type == Operation::Type::kPut) {
      data_.insert_or_assign(op.key, op.value);
    } else if (auto it = data_.find(op.key); it != data_.end()) {
      data_.erase(it);
    }
  }
  return Status::Ok();
}

std::size_t InmemBackend::GetCountForTest() const {
  std::lock_guard lock(mu_);
  return gets_;
}

}  // namespace tresor::storage
