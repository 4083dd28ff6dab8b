#include "storage/postgresql/postgresql_options.h"

#include <cctype>
#include <charconv>

#include "common/duration.h"
#include "storage/postgresql/pg_connection_pool.h"

namespace tresor::storage {
namespace {

constexpr char kPgOptionPrefix[] = "storage \"postgresql\": ";

Status PgOptionError(const std::string& option, const std::string& why) {
  return InvalidArgumentError(std::string(kPgOptionPrefix) + "option \"" + option + "\" " + why);
}

StatusOr<bool> ParsePgBool(const std::string& option, const std::string& value) {
  if (value == "true" || value == "1") return true;
  if (value == "false" || value == "0" || value.empty()) return false;
  return PgOptionError(option, "must be \"true\" or \"false\", not \"" + value + "\"");
}

StatusOr<std::size_t> ParsePgCount(const std::string& option, const std::string& value,
                                   std::size_t minimum) {
  std::size_t out = 0;
  auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), out);
  if (error != std::errc() || end != value.data() + value.size() || out < minimum ||
      out > 100000) {
    return PgOptionError(option, "must be a whole number from " + std::to_string(minimum) +
                                     " to 100000, not \"" + value + "\"");
  }
  return out;
}

StatusOr<std::chrono::milliseconds> ParsePgInterval(const std::string& option,
                                                    const std::string& value) {
  auto parsed = ParseDuration(value);
  if (!parsed.ok()) return PgOptionError(option, "is not a duration: " + parsed.status().message());
  if (parsed->count() < 1) return PgOptionError(option, "must be at least 1s");
  if (parsed->count() > 3600) return PgOptionError(option, "must be at most 1h");
  return std::chrono::duration_cast<std::chrono::milliseconds>(*parsed);
}

bool PgIdentifierPartOk(std::string_view part) {
  if (part.empty() || part.size() > 63) return false;
  if (!(std::isalpha(static_cast<unsigned char>(part[0])) || part[0] == '_')) return false;
  for (char c : part) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '$')) return false;
  }
  return true;
}

}  // namespace

StatusOr<std::string> QuotePostgreSQLTableName(const std::string& option,
                                               const std::string& name) {
  std::size_t dot = name.find('.');
  std::string_view schema = dot == std::string::npos ? "" : std::string_view(name).substr(0, dot);
  std::string_view table =
      dot == std::string::npos ? std::string_view(name) : std::string_view(name).substr(dot + 1);
  if ((dot != std::string::npos && !PgIdentifierPartOk(schema)) || !PgIdentifierPartOk(table)) {
    return PgOptionError(option, "must be a table name (letters, digits and '_', optionally "
                                 "\"schema.table\"), not \"" + name + "\"");
  }
  std::string quoted;
  if (!schema.empty()) quoted = "\"" + std::string(schema) + "\".";
  return quoted + "\"" + std::string(table) + "\"";
}

StatusOr<PostgreSQLOptions> ParsePostgreSQLOptions(
    const std::map<std::string, std::string>& options) {
  PostgreSQLOptions out;
  for (const auto& [name, value] : options) {
    if (name == "connection_url") {
      out.connection_url = value;
    } else if (name == "table") {
      out.table = value;
    } else if (name == "skip_create_table") {
      TRESOR_ASSIGN_OR_RETURN(out.skip_create_table, ParsePgBool(name, value));
    } else if (name == "max_parallel") {
      TRESOR_ASSIGN_OR_RETURN(out.max_parallel, ParsePgCount(name, value, 1));
    } else if (name == "max_idle_connections") {
      TRESOR_ASSIGN_OR_RETURN(out.max_idle_connections, ParsePgCount(name, value, 0));
    } else if (name == "ha_enabled") {
      TRESOR_ASSIGN_OR_RETURN(out.ha_enabled, ParsePgBool(name, value));
    } else if (name == "ha_table") {
      out.ha_table = value;
    } else if (name == "lock_ttl") {
      TRESOR_ASSIGN_OR_RETURN(out.lock_ttl, ParsePgInterval(name, value));
    } else if (name == "lock_renew_interval") {
      TRESOR_ASSIGN_OR_RETURN(out.lock_renew_interval, ParsePgInterval(name, value));
    } else if (name == "lock_retry_interval") {
      TRESOR_ASSIGN_OR_RETURN(out.lock_retry_interval, ParsePgInterval(name, value));
    } else {
      return InvalidArgumentError(std::string(kPgOptionPrefix) + "unknown option \"" + name +
                                  "\"");
    }
  }
  if (out.connection_url.empty()) {
    return InvalidArgumentError(std::string(kPgOptionPrefix) +
                                "option \"connection_url\" is required");
  }
  TRESOR_RETURN_IF_ERROR(CheckPgConnectionUrl(out.connection_url));
  TRESOR_ASSIGN_OR_RETURN(out.quoted_table, QuotePostgreSQLTableName("table", out.table));
  TRESOR_ASSIGN_OR_RETURN(out.quoted_ha_table, QuotePostgreSQLTableName("ha_table", out.ha_table));
  if (out.lock_renew_interval >= out.lock_ttl) {
    return PgOptionError("lock_renew_interval", "must be shorter than lock_ttl");
  }
  return out;
}

}  // namespace tresor::storage
