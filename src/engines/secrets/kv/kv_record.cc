#include "engines/secrets/kv/kv_record.h"

#include <chrono>
#include <string>

#include "common/clock.h"

namespace tresor::engines::kv {

const VersionEntry* Record::Find(std::uint64_t version) const {
  auto it = versions.find(version);
  return it == versions.end() ? nullptr : &it->second;
}

VersionEntry* Record::Find(std::uint64_t version) {
  auto it = versions.find(version);
  return it == versions.end() ? nullptr : &it->second;
}

const VersionEntry* Record::Latest() const { return Find(current_version); }
VersionEntry* Record::Latest() { return Find(current_version); }

std::uint64_t Record::AddVersion(Nanos now, nlohmann::json data, std::optional<Nanos> deletion_ns,
                                 std::uint32_t max_versions) {
  ++current_version;
  VersionEntry& entry = versions[current_version];
  entry.created_ns = now;
  entry.deletion_ns = deletion_ns;
  entry.data = std::move(data);
  updated_ns = now;
  if (created_ns == 0) created_ns = now;

  // Vault's window: once current - oldest reaches max, everything up to
  // current - max goes, and oldest moves just past it.
  if (max_versions > 0 && current_version - oldest_version >= max_versions) {
    std::uint64_t last_to_drop = current_version - max_versions;
    versions.erase(versions.begin(), versions.upper_bound(last_to_drop));
    oldest_version = last_to_drop + 1;
  }
  return current_version;
}

StatusOr<std::string> EncodeRecord(const Record& record) {
  nlohmann::json versions = nlohmann::json::object();
  for (const auto& [number, entry] : record.versions) {
    nlohmann::json v = {
        {"created_ns", entry.created_ns}, {"deletion_ns", nullptr}, {"destroyed", entry.destroyed}};
    if (entry.deletion_ns) v["deletion_ns"] = *entry.deletion_ns;
    if (!entry.destroyed) v["data"] = entry.data;
    versions[std::to_string(number)] = std::move(v);
  }
  nlohmann::json j = {{"created_ns", record.created_ns},
                      {"updated_ns", record.updated_ns},
                      {"current_version", record.current_version},
                      {"oldest_version", record.oldest_version},
                      {"max_versions", record.max_versions},
                      {"cas_required", record.cas_required},
                      {"delete_version_after_s", record.delete_version_after_s},
                      {"custom_metadata", record.custom_metadata},
                      {"versions", std::move(versions)}};
  try {
    return j.dump();
  } catch (const nlohmann::json::exception&) {
    return InvalidArgumentError("secret data is not valid UTF-8");
  }
}

StatusOr<Record> DecodeRecord(std::string_view bytes, std::string_view path) {
  auto corrupt = [&] {
    return CorruptionError("kv record for \"" + std::string(path) + "\" is malformed");
  };
  nlohmann::json j = nlohmann::json::parse(bytes, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return corrupt();
  try {
    Record r;
    r.created_ns = j.at("created_ns").get<Nanos>();
    r.updated_ns = j.at("updated_ns").get<Nanos>();
    r.current_version = j.at("current_version").get<std::uint64_t>();
    r.oldest_version = j.at("oldest_version").get<std::uint64_t>();
    r.max_versions = j.at("max_versions").get<std::uint32_t>();
    r.cas_required = j.at("cas_required").get<bool>();
    r.delete_version_after_s = j.at("delete_version_after_s").get<std::int64_t>();
    r.custom_metadata = j.at("custom_metadata");
    if (!r.custom_metadata.is_null() && !r.custom_metadata.is_object()) return corrupt();
    for (const auto& [key, v] : j.at("versions").items()) {
      std::size_t used = 0;
      std::uint64_t number = std::stoull(key, &used);
      if (used != key.size()) return corrupt();
      VersionEntry entry;
      entry.created_ns = v.at("created_ns").get<Nanos>();
      if (!v.at("deletion_ns").is_null()) entry.deletion_ns = v.at("deletion_ns").get<Nanos>();
      entry.destroyed = v.at("destroyed").get<bool>();
      if (!entry.destroyed) {
        entry.data = v.at("data");
        if (!entry.data.is_object()) return corrupt();
      }
      r.versions.emplace(number, std::move(entry));
    }
    return r;
  } catch (const std::exception&) {  // nlohmann type/out_of_range, stoull
    return corrupt();
  }
}

std::string FormatTime(Nanos t) {
  std::string s = FormatRfc3339(Clock::TimePoint(
      std::chrono::duration_cast<Clock::TimePoint::duration>(std::chrono::nanoseconds(t))));
  // FormatRfc3339 always prints nine fraction digits; Go trims the zeros.
  std::size_t dot = s.rfind('.');
  if (dot == std::string::npos) return s;
  std::size_t end = s.size() - 1;  // the 'Z'
  std::size_t last = end;
  while (last > dot + 1 && s[last - 1] == '0') --last;
  if (last == dot + 1) return s.substr(0, dot) + "Z";
  return s.substr(0, last) + "Z";
}

std::string FormatOptionalTime(const std::optional<Nanos>& t) {
  return t ? FormatTime(*t) : std::string();
}

}  // namespace tresor::engines::kv
