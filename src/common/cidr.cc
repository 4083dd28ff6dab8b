#include "common/cidr.h"

#include <arpa/inet.h>

#include <algorithm>
#include <charconv>

namespace tresor {
namespace {

constexpr std::array<unsigned char, 12> kV4MappedPrefix = {0, 0, 0, 0, 0,    0,
                                                           0, 0, 0, 0, 0xff, 0xff};

std::string_view TrimCidrSpaces(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool IsV4Mapped(const IpAddress& a) {
  return !a.is_v4 && std::equal(kV4MappedPrefix.begin(), kV4MappedPrefix.end(), a.bytes.begin());
}

// ::ffff:a.b.c.d as a.b.c.d; any other address unchanged.
IpAddress UnmapV4(const IpAddress& a) {
  if (!IsV4Mapped(a)) return a;
  IpAddress v4;
  std::copy(a.bytes.begin() + 12, a.bytes.end(), v4.bytes.begin());
  return v4;
}

// Whether the first `bits` bits of a and b are equal (same family).
bool SamePrefix(const IpAddress& a, const IpAddress& b, int bits) {
  int full = bits / 8;
  if (!std::equal(a.bytes.begin(), a.bytes.begin() + full, b.bytes.begin())) return false;
  int rest = bits % 8;
  if (rest == 0) return true;
  auto mask = static_cast<unsigned char>(0xff << (8 - rest));
  return (a.bytes[full] & mask) == (b.bytes[full] & mask);
}

Status NotACidr(std::string_view text, std::string_view why) {
  return InvalidArgumentError("\"" + std::string(text.substr(0, 64)) +
                              "\" is not a valid CIDR block: " + std::string(why));
}

}  // namespace

std::string IpAddress::ToString() const {
  char out[INET6_ADDRSTRLEN] = {};
  inet_ntop(is_v4 ? AF_INET : AF_INET6, bytes.data(), out, sizeof(out));
  return out;
}

bool CidrBlock::Contains(const IpAddress& address) const {
  IpAddress a = UnmapV4(address);
  if (a.is_v4 != network.is_v4) return false;
  return SamePrefix(a, network, prefix_length);
}

bool CidrBlock::Contains(const CidrBlock& inner) const {
  return inner.network.is_v4 == network.is_v4 && inner.prefix_length >= prefix_length &&
         SamePrefix(inner.network, network, prefix_length);
}

std::string CidrBlock::ToString() const {
  return network.ToString() + "/" + std::to_string(prefix_length);
}

StatusOr<IpAddress> ParseIpAddress(std::string_view text) {
  // inet_pton needs a NUL-terminated string; an address is short.
  if (text.empty() || text.size() >= INET6_ADDRSTRLEN) {
    return InvalidArgumentError("not an IP address");
  }
  std::string z(text);
  IpAddress a;
  if (inet_pton(AF_INET, z.c_str(), a.bytes.data()) == 1) return a;
  a.is_v4 = false;
  if (inet_pton(AF_INET6, z.c_str(), a.bytes.data()) == 1) return a;
  return InvalidArgumentError("not an IP address");
}

std::optional<IpAddress> ParseRemoteAddress(std::string_view remote) {
  remote = TrimCidrSpaces(remote);
  if (remote.starts_with('[')) {
    std::size_t close = remote.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    std::string_view after = remote.substr(close + 1);
    if (!after.empty() && !after.starts_with(':')) return std::nullopt;
    remote = remote.substr(1, close - 1);
  } else if (std::size_t colon = remote.find(':');
             colon != std::string_view::npos &&
             remote.find(':', colon + 1) == std::string_view::npos) {
    remote = remote.substr(0, colon);  // "a.b.c.d:port"; two colons or more: IPv6
  }
  auto parsed = ParseIpAddress(remote);
  if (!parsed.ok()) return std::nullopt;
  return *parsed;
}

StatusOr<CidrBlock> ParseCidr(std::string_view text) {
  std::string_view trimmed = TrimCidrSpaces(text);
  std::size_t slash = trimmed.find('/');
  auto address = ParseIpAddress(trimmed.substr(0, slash));
  if (!address.ok()) return NotACidr(text, "the address is not an IPv4 or IPv6 address");
  CidrBlock block;
  block.network = *address;
  const int max_bits = address->is_v4 ? 32 : 128;
  block.prefix_length = max_bits;
  if (slash != std::string_view::npos) {
    std::string_view digits = trimmed.substr(slash + 1);
    int bits = -1;
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), bits);
    if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size() || bits < 0 ||
        bits > max_bits) {
      return NotACidr(text,
                      "the prefix length must be a number from 0 to " + std::to_string(max_bits));
    }
    block.prefix_length = bits;
  }
  if (IsV4Mapped(block.network) && block.prefix_length >= 96) {
    block.network = UnmapV4(block.network);
    block.prefix_length -= 96;
  }
  // Clear the host bits.
  const int size = static_cast<int>(block.network.Size());
  for (int i = 0; i < size; ++i) {
    int keep = std::clamp(block.prefix_length - i * 8, 0, 8);
    block.network.bytes[i] &= static_cast<unsigned char>(0xff00 >> keep);
  }
  return block;
}

Status ValidateCidrList(const std::vector<std::string>& cidrs) {
  for (const std::string& cidr : cidrs) TRESOR_RETURN_IF_ERROR(ParseCidr(cidr).status());
  return Status::Ok();
}

bool AddressInCidrs(std::string_view address, const std::vector<std::string>& cidrs) {
  std::optional<IpAddress> ip = ParseRemoteAddress(address);
  if (!ip.has_value()) return false;
  for (const std::string& cidr : cidrs) {
    auto block = ParseCidr(cidr);
    if (block.ok() && block->Contains(*ip)) return true;
  }
  return false;
}

StatusOr<bool> CidrsWithin(const std::vector<std::string>& inner,
                           const std::vector<std::string>& outer) {
  std::vector<CidrBlock> outer_blocks;
  for (const std::string& cidr : outer) {
    TRESOR_ASSIGN_OR_RETURN(CidrBlock block, ParseCidr(cidr));
    outer_blocks.push_back(block);
  }
  bool within = true;
  for (const std::string& cidr : inner) {
    TRESOR_ASSIGN_OR_RETURN(CidrBlock block, ParseCidr(cidr));
    bool found = outer_blocks.empty();
    for (const CidrBlock& o : outer_blocks) found = found || o.Contains(block);
    within = within && found;
  }
  return within;
}

}  // namespace tresor
