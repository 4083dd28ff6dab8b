// IPv4 and IPv6 CIDR blocks: parsing, validation, and whether a client's
// address lies in a list of blocks. What token_bound_cidrs, AppRole's
// secret_id_bound_cidrs and a secret ID's cidr_list are made of.
//
// Text forms accepted (surrounding spaces are ignored):
//   a block    "10.0.0.0/8", "2001:db8::/32", "10.1.2.3/8" (host bits are
//              allowed and masked off, as Go's net.ParseCIDR does)
//   an address "127.0.0.1" (a /32), "::1" (a /128)
// Addresses are parsed by inet_pton only: no octal, hex or short IPv4 forms,
// no IPv6 zone ("%eth0"). An IPv4-mapped IPv6 address (::ffff:a.b.c.d, and a
// block of them with a prefix of 96 or more) is treated as the IPv4 one, so a
// dual-stack listener's client matches "10.0.0.0/8".
//
// A client address is what http/ puts in logical::Request::remote_address:
// "127.0.0.1:54321", "[::1]:54321", or an address without a port.
//
// Who calls it: core (a token's bound_cidrs on every use), the auth methods'
// token parameters (engines/auth/token_params.h) and AppRole.
// Threads: stateless functions and plain values.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace tresor {

// An IPv4 or IPv6 address.
struct IpAddress {
  bool is_v4 = true;
  // Network byte order; the first 4 bytes for IPv4.
  std::array<unsigned char, 16> bytes{};

  std::size_t Size() const { return is_v4 ? 4 : 16; }
  // "10.0.0.1", "2001:db8::1" (inet_ntop's form).
  std::string ToString() const;
};

struct CidrBlock {
  IpAddress network;  // host bits cleared
  int prefix_length = 0;

  bool Contains(const IpAddress& address) const;
  // Whether every address of `inner` is in this block.
  bool Contains(const CidrBlock& inner) const;
  // "10.0.0.0/8".
  std::string ToString() const;
};

// Parses one address without a port. InvalidArgument when it is not one.
StatusOr<IpAddress> ParseIpAddress(std::string_view text);

// The address of a client as in Request::remote_address ("a.b.c.d",
// "a.b.c.d:port", "::1", "[::1]" or "[::1]:port"); std::nullopt when it is
// none of these.
std::optional<IpAddress> ParseRemoteAddress(std::string_view remote);

// Parses a block or a bare address (see above). InvalidArgument
// "\"<text>\" is not a valid CIDR block: <why>" otherwise (the text is
// quoted, at most 64 characters of it: a CIDR block is never secret).
StatusOr<CidrBlock> ParseCidr(std::string_view text);

// OK when every entry parses; otherwise ParseCidr's error for the first one
// that does not. An empty list is valid.
Status ValidateCidrList(const std::vector<std::string>& cidrs);

// Whether `address` (a remote address, see ParseRemoteAddress) lies in at
// least one of `cidrs`. False when the address cannot be parsed, and entries
// that do not parse match nothing: the check fails closed. An empty list
// matches nothing; callers treat "no blocks" as "anywhere" themselves.
bool AddressInCidrs(std::string_view address, const std::vector<std::string>& cidrs);

// Whether every block of `inner` lies within some block of `outer` (Vault's
// subset rule for a secret ID's CIDRs under its role's). True when `outer`
// is empty (no restriction to stay within). InvalidArgument when an entry of
// either list does not parse.
StatusOr<bool> CidrsWithin(const std::vector<std::string>& inner,
                           const std::vector<std::string>& outer);

}  // namespace tresor
