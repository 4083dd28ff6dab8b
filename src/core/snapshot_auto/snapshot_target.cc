#include "core/snapshot_auto/snapshot_target.h"

#include <sys/stat.h>

#include <algorithm>
#include <cstring>
#include <filesystem>

#include "snapshot/s3_client.h"

namespace tresor::core::snapshot_auto {
namespace {

namespace fs = std::filesystem;

// <file_prefix>-<digits><suffix>
bool IsObjectOf(const std::string& name, const std::string& file_prefix, std::string_view suffix) {
  if (name.rfind(file_prefix + "-", 0) != 0 || !name.ends_with(suffix)) return false;
  const std::size_t from = file_prefix.size() + 1, to = name.size() - suffix.size();
  if (to <= from) return false;
  for (std::size_t i = from; i < to; ++i) {
    if (name[i] < '0' || name[i] > '9') return false;
  }
  return true;
}

// The objects `name` is one of (its name without the digits): partial
// files of the same family are leftovers of the same writer.
std::string Family(const std::string& name) {
  const std::size_t dash = name.rfind('-'), dot = name.rfind('.');
  if (dash == std::string::npos || dot == std::string::npos || dot < dash) return name;
  return name.substr(0, dash + 1) + name.substr(dot);
}

class LocalTarget final : public SnapshotTarget {
 public:
  static constexpr char kPartial[] = ".partial-";

  LocalTarget(std::string dir, std::int64_t max_space)
      : dir_(std::move(dir)), max_space_(max_space) {}

  Status Store(const std::string& name, const FileWriter& write) override {
    std::error_code ec;
    fs::create_directories(dir_, ec);
    if (ec) return IOError("cannot create " + dir_ + ": " + ec.message());
    ::chmod(dir_.c_str(), 0700);
    // Written and checked under a partial name, then renamed: a file under
    // a snapshot's name is always a checked one, even after a crash (which
    // leaves only a partial file, removed by the next Store).
    // Only this writer's kind: the write archive and the snapshots of a
    // schedule are stored by different threads.
    for (const auto& entry : fs::directory_iterator(dir_, ec)) {
      const std::string file = entry.path().filename().string();
      if (file.rfind(kPartial, 0) == 0 &&
          Family(file.substr(std::strlen(kPartial))) == Family(name)) {
        fs::remove(entry.path(), ec);
      }
    }
    const std::string partial = dir_ + "/" + kPartial + name;
    const std::string path = Url(name);
    Status written = write(partial);
    if (written.ok()) {
      fs::rename(partial, path, ec);
      if (ec) written = IOError("cannot rename " + partial + ": " + ec.message());
    }
    if (!written.ok()) {
      fs::remove(partial, ec);
      return written;
    }
    if (max_space_ > 0) {
      std::uintmax_t used = 0;
      for (const auto& entry : fs::directory_iterator(dir_, ec)) {
        if (entry.is_regular_file(ec)) used += entry.file_size(ec);
      }
      if (used > static_cast<std::uintmax_t>(max_space_)) {
        fs::remove(path, ec);
        return ResourceExhaustedError("the snapshot would take " + dir_ + " past local_max_space (" +
                                      std::to_string(max_space_) + " bytes); it was not kept");
      }
    }
    return Status::Ok();
  }

  StatusOr<std::vector<std::string>> List(const std::string& file_prefix,
                                          std::string_view suffix) override {
    std::vector<std::string> names;
    std::error_code ec;
    if (!fs::exists(dir_, ec)) return names;
    for (const auto& entry : fs::directory_iterator(dir_, ec)) {
      std::string name = entry.path().filename().string();
      if (IsObjectOf(name, file_prefix, suffix)) names.push_back(std::move(name));
    }
    if (ec) return IOError("cannot list " + dir_ + ": " + ec.message());
    std::sort(names.begin(), names.end());
    return names;
  }

  StatusOr<std::string> Fetch(const std::string& name, const std::string&) override {
    std::error_code ec;
    if (!fs::is_regular_file(Url(name), ec)) return NotFoundError("there is no " + Url(name));
    return Url(name);
  }

  Status Remove(const std::string& name) override {
    std::error_code ec;
    fs::remove(Url(name), ec);
    return ec ? IOError("cannot delete " + Url(name) + ": " + ec.message()) : Status::Ok();
  }

  std::string Url(const std::string& name) const override { return dir_ + "/" + name; }

 private:
  const std::string dir_;
  const std::int64_t max_space_;
};

class S3Target final : public SnapshotTarget {
 public:
  S3Target(const AutoConfig& config, std::string scratch_dir)
      : client_(Location(config.s3)), scratch_dir_(std::move(scratch_dir)) {
    std::string prefix = config.path_prefix;
    while (!prefix.empty() && prefix.front() == '/') prefix.erase(0, 1);
    while (!prefix.empty() && prefix.back() == '/') prefix.pop_back();
    key_prefix_ = prefix.empty() ? "" : prefix + "/";
  }

  Status Store(const std::string& name, const FileWriter& write) override {
    std::error_code ec;
    fs::create_directories(scratch_dir_, ec);
    const std::string path = scratch_dir_ + "/" + name;
    Status status = write(path);
    if (status.ok()) status = client_.Upload(path, key_prefix_ + name);
    fs::remove(path, ec);
    return status;
  }

  StatusOr<std::vector<std::string>> List(const std::string& file_prefix,
                                          std::string_view suffix) override {
    TRESOR_ASSIGN_OR_RETURN(std::vector<std::string> keys,
                            client_.List(key_prefix_ + file_prefix + "-"));
    std::vector<std::string> names;
    for (const std::string& key : keys) {
      std::string name = key.substr(key_prefix_.size());
      if (IsObjectOf(name, file_prefix, suffix)) names.push_back(std::move(name));
    }
    std::sort(names.begin(), names.end());
    return names;
  }

  StatusOr<std::string> Fetch(const std::string& name, const std::string& scratch_path) override {
    std::error_code ec;
    fs::create_directories(fs::path(scratch_path).parent_path(), ec);
    Status got = client_.Download(key_prefix_ + name, scratch_path);
    if (!got.ok()) {
      fs::remove(scratch_path, ec);
      return got;
    }
    return scratch_path;
  }

  Status Remove(const std::string& name) override { return client_.Remove(key_prefix_ + name); }

  std::string Url(const std::string& name) const override {
    return client_.Url(key_prefix_ + name);
  }

 private:
  static snapshot::S3Location Location(const S3Options& s3) {
    snapshot::S3Location location;
    location.bucket = s3.bucket;
    location.region = s3.region;
    location.endpoint = s3.endpoint;
    location.disable_tls = s3.disable_tls;
    location.force_path_style = s3.force_path_style;
    location.access_key_id = s3.access_key_id;
    location.secret_access_key = s3.secret_access_key;
    location.session_token = s3.session_token;
    if (s3.enable_kms) {
      location.server_side_encryption = "aws:kms";
      location.kms_key = s3.kms_key;
    } else if (s3.server_side_encryption) {
      location.server_side_encryption = "AES256";
    }
    return location;
  }

  snapshot::S3Client client_;
  std::string key_prefix_;
  const std::string scratch_dir_;
};

}  // namespace

std::unique_ptr<SnapshotTarget> MakeTarget(const AutoConfig& config,
                                           const std::string& scratch_dir) {
  if (config.storage_type == "aws-s3") return std::make_unique<S3Target>(config, scratch_dir);
  return std::make_unique<LocalTarget>(config.path_prefix, config.local_max_space);
}

}  // namespace tresor::core::snapshot_auto
