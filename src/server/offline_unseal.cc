#include "server/offline_unseal.h"

#include <fstream>
#include <iterator>

#include "common/encoding.h"

namespace tresor::server {
namespace {

std::string_view Trim(std::string_view text) {
  const char* kSpace = " \t\r\n";
  std::size_t begin = text.find_first_not_of(kSpace);
  if (begin == std::string_view::npos) return {};
  std::size_t end = text.find_last_not_of(kSpace);
  return text.substr(begin, end - begin + 1);
}

// The share length sys/unseal accepts: a 32-byte key plus Shamir's x byte.
constexpr std::size_t kShareBytes = 33;

}  // namespace

void AddUnsealKeyFlags(command::FlagSet& flags, UnsealKeyFlags* values) {
  flags.StringList("unseal-key", &values->keys, false,
                   "An unseal key share (hex or base64); repeatable.");
  flags.StringList("key-file", &values->key_files, false,
                   "A file with one unseal key share per line.");
}

StatusOr<SecureBytes> DecodeUnsealKey(std::string_view text, std::string_view which) {
  // As sys/unseal: hex first; a hex reading of the wrong length falls back
  // to base64 (a base64 key may happen to be valid hex too).
  StatusOr<std::string> from_hex = HexDecode(text);
  StatusOr<std::string> decoded =
      from_hex.ok() && from_hex->size() == kShareBytes ? std::move(from_hex) : Base64Decode(text);
  if (!decoded.ok() && from_hex.ok()) decoded = std::move(from_hex);
  if (!decoded.ok()) {
    return InvalidArgumentError(std::string(which) + " is not a valid hex or base64 unseal key");
  }
  SecureBytes share = ToSecureBytes(*decoded);
  SecureWipe(*decoded);
  return share;
}

StatusOr<std::vector<SecureBytes>> ParseKeyFileText(std::string_view text) {
  std::vector<SecureBytes> keys;
  int line_number = 0;
  while (!text.empty()) {
    std::size_t newline = text.find('\n');
    std::string_view line = text.substr(0, newline);
    text = newline == std::string_view::npos ? std::string_view() : text.substr(newline + 1);
    ++line_number;
    line = Trim(line);
    if (line.empty() || line.front() == '#') continue;
    TRESOR_ASSIGN_OR_RETURN(SecureBytes key,
                            DecodeUnsealKey(line, "the key on line " + std::to_string(line_number) +
                                                      " of the key file"));
    keys.push_back(std::move(key));
  }
  return keys;
}

StatusOr<std::vector<SecureBytes>> CollectUnsealKeys(const UnsealKeyFlags& flags) {
  if (flags.key_files.size() > 1) return InvalidArgumentError("-key-file is given twice");
  for (const std::string& key : flags.keys) {
    if (key.empty()) return InvalidArgumentError("-unseal-key needs a value");
  }
  if (!flags.key_files.empty() && flags.key_files[0].empty()) {
    return InvalidArgumentError("-key-file needs a path");
  }
  std::vector<SecureBytes> keys;
  for (std::size_t i = 0; i < flags.keys.size(); ++i) {
    TRESOR_ASSIGN_OR_RETURN(
        SecureBytes key, DecodeUnsealKey(flags.keys[i], "-unseal-key #" + std::to_string(i + 1)));
    keys.push_back(std::move(key));
  }
  if (!flags.key_files.empty()) {
    const std::string& key_file = flags.key_files[0];
    std::ifstream in(key_file, std::ios::binary);
    if (!in) return NotFoundError("cannot open the key file " + key_file);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (in.bad()) {
      SecureWipe(text);
      return IOError("cannot read the key file " + key_file);
    }
    StatusOr<std::vector<SecureBytes>> from_file = ParseKeyFileText(text);
    SecureWipe(text);
    if (!from_file.ok()) return from_file.status();
    for (SecureBytes& key : *from_file) keys.push_back(std::move(key));
  }
  if (keys.empty()) {
    return InvalidArgumentError(
        "no unseal key given: use -unseal-key=K (repeatable) or -key-file=PATH");
  }
  return keys;
}

Status UnsealWithKeys(core::Lifecycle& lifecycle, const std::vector<SecureBytes>& keys) {
  TRESOR_ASSIGN_OR_RETURN(core::SealStatus status, lifecycle.GetSealStatus());
  if (!status.initialized) {
    return FailedPreconditionError("the storage is not initialised: it has no keys to unseal");
  }
  for (const SecureBytes& key : keys) {
    // A share already given counts once (the lifecycle ignores repeats).
    TRESOR_ASSIGN_OR_RETURN(status, lifecycle.SubmitUnsealShare(key));
    if (!status.sealed) return Status::Ok();
  }
  int given = status.progress;
  lifecycle.ResetUnsealProgress().status().IgnoreError();
  return InvalidArgumentError("not enough unseal keys: " + std::to_string(given) +
                              " distinct key(s) given, the threshold is " +
                              std::to_string(status.threshold));
}

}  // namespace tresor::server
