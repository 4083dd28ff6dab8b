#include "barrier/keyring.h"

#include <chrono>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/check.h"
#include "common/encoding.h"
#include "common/random.h"

namespace tresor::barrier {
namespace {

// nlohmann::json whose strings (parsed values and the lexer's token buffer)
// live in wiped-on-free memory, because the keyring JSON holds base64 keys.
using SecureString = std::basic_string<char, std::char_traits<char>, SecureAllocator<char>>;
using SecureJson = nlohmann::basic_json<std::map, std::vector, SecureString>;

constexpr int kKeyringVersion = 1;

void Append(SecureBytes& out, std::string_view text) {
  out.insert(out.end(), text.begin(), text.end());
}

Status Malformed(std::string_view what) {
  return CorruptionError("keyring is malformed: " + std::string(what));
}

// Decodes one term object. Every error message is fixed text: no key byte
// or base64 character ever reaches it.
Status ParseTerm(const SecureJson& item, KeyTerm& out) {
  if (!item.is_object()) return Malformed("term is not an object");
  auto term = item.find("term");
  auto key = item.find("key");
  auto installed = item.find("install_time_ns");
  if (term == item.end() || !term->is_number_unsigned()) return Malformed("bad term number");
  if (key == item.end() || !key->is_string()) return Malformed("bad key");
  if (installed == item.end() || !installed->is_number_integer()) {
    return Malformed("bad install_time_ns");
  }
  std::uint64_t number = term->get<std::uint64_t>();
  if (number == 0 || number > std::numeric_limits<std::uint32_t>::max()) {
    return Malformed("term number out of range");
  }
  const SecureString& encoded = key->get_ref<const SecureString&>();
  StatusOr<std::string> decoded = Base64Decode(std::string_view(encoded.data(), encoded.size()));
  if (!decoded.ok()) return Malformed("key is not base64");
  if (decoded->size() != kKeySize) {
    SecureWipe(*decoded);
    return Malformed("key has the wrong length");
  }
  out.term = static_cast<std::uint32_t>(number);
  out.key = ToSecureBytes(*decoded);
  SecureWipe(*decoded);
  out.install_time = Clock::TimePoint(std::chrono::duration_cast<Clock::TimePoint::duration>(
      std::chrono::nanoseconds(installed->get<std::int64_t>())));
  return Status::Ok();
}

}  // namespace

StatusOr<std::uint32_t> Keyring::AddTerm(const Clock& clock) {
  std::uint32_t active = ActiveTerm();
  if (active == std::numeric_limits<std::uint32_t>::max()) {
    return ResourceExhaustedError("keyring term counter is exhausted");
  }
  KeyTerm next;
  next.term = active + 1;
  next.key = RandomSecureBytes(kKeySize);
  next.install_time = clock.Now();
  terms_.emplace(next.term, std::move(next));
  return active + 1;
}

std::uint32_t Keyring::ActiveTerm() const { return terms_.empty() ? 0 : terms_.rbegin()->first; }

const KeyTerm* Keyring::Find(std::uint32_t term) const {
  auto it = terms_.find(term);
  return it == terms_.end() ? nullptr : &it->second;
}

const KeyTerm& Keyring::Active() const {
  TRESOR_CHECK(!terms_.empty());
  return terms_.rbegin()->second;
}

SecureBytes Keyring::Serialize() const {
  // Written by hand rather than through json::dump: the serializer copies
  // every string through an internal stack buffer we could not wipe. The
  // format has only integers and base64, so no escaping is needed.
  SecureBytes out;
  out.reserve(64 + terms_.size() * 128);
  Append(out, "{\"version\":" + std::to_string(kKeyringVersion) + ",\"terms\":[");
  bool first = true;
  for (const auto& [number, term] : terms_) {
    if (!first) Append(out, ",");
    first = false;
    Append(out, "{\"term\":" + std::to_string(number) + ",\"key\":\"");
    std::string encoded = Base64Encode(AsStringView(term.key));
    Append(out, encoded);
    SecureWipe(encoded);
    auto nanos =
        std::chrono::duration_cast<std::chrono::nanoseconds>(term.install_time.time_since_epoch())
            .count();
    Append(out, "\",\"install_time_ns\":" + std::to_string(nanos) + "}");
  }
  Append(out, "]}");
  return out;
}

StatusOr<Keyring> Keyring::Deserialize(const SecureBytes& json) {
  try {
    SecureJson root = SecureJson::parse(json.begin(), json.end(), /*cb=*/nullptr,
                                        /*allow_exceptions=*/false);
    if (root.is_discarded() || !root.is_object()) return Malformed("not a JSON object");
    auto version = root.find("version");
    if (version == root.end() || !version->is_number_integer() ||
        version->get<std::int64_t>() != kKeyringVersion) {
      return Malformed("unknown version");
    }
    auto terms = root.find("terms");
    if (terms == root.end() || !terms->is_array()) return Malformed("no terms array");
    if (terms->empty()) return Malformed("no terms");
    Keyring keyring;
    for (const SecureJson& item : *terms) {
      KeyTerm term;
      TRESOR_RETURN_IF_ERROR(ParseTerm(item, term));
      if (keyring.terms_.count(term.term) != 0) return Malformed("repeated term number");
      keyring.terms_.emplace(term.term, std::move(term));
    }
    return keyring;
  } catch (const nlohmann::json::exception&) {
    // Not expected with allow_exceptions=false and the type checks above;
    // kept so that no library exception crosses this boundary.
    return Malformed("unreadable JSON");
  }
}

}  // namespace tresor::barrier
