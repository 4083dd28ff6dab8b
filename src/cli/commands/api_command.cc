#include "cli/commands/api_command.h"

namespace tresor::cli {

void StandardCommand::DefineFlags(FlagSet& flags) {
  if (shape_.connection) AddClientFlags(flags, &common_.client);
  if (shape_.format) AddFormatFlag(flags, &common_.format);
  if (shape_.field) {
    flags.String("field", &field_, "",
                 "Print only the field with the given name. Specifying this option will take "
                 "precedence over other formatting directives.");
  }
  DefineCommandFlags(flags);
}

int StandardCommand::Execute(const FlagSet& flags, CommandIo& io) {
  if (!CheckArgCount(flags, io, shape_.min_args, MaxArgs())) return shape_.usage_exit;
  if (!Validate(flags, io)) return shape_.usage_exit;
  CommandContext context{flags, io, "table"};
  if (shape_.format) {
    StatusOr<std::string> format = ResolveFormat(flags, common_.format);
    if (!format.ok()) {
      io.err << format.status().message() << "\n";
      return shape_.usage_exit;
    }
    context.format = std::move(*format);
  }
  return Perform(context);
}

int ApiCommand::Perform(CommandContext& context) {
  auto client = NewClientFromFlags(context.flags, client_flags());
  if (!client.ok()) {
    std::string doing = ClientErrorDoing();
    if (doing.empty()) return UsageFailure(context.io, client.status().message());
    PrintError(context.io, doing, client.status());
    return kExitError;
  }
  ApiContext api{context, **client};
  return Run(api);
}

std::string PercentEncode(std::string_view text, std::string_view also_kept) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (char c : text) {
    auto byte = static_cast<unsigned char>(c);
    bool keep = (byte >= 'a' && byte <= 'z') || (byte >= 'A' && byte <= 'Z') ||
                (byte >= '0' && byte <= '9') || also_kept.find(c) != std::string_view::npos;
    if (keep) {
      out += c;
    } else {
      out += '%';
      out += kHex[byte >> 4];
      out += kHex[byte & 0xF];
    }
  }
  return out;
}

std::string ApiPath(std::string_view path) {
  while (path.starts_with('/')) path.remove_prefix(1);
  return "/v1/" + PercentEncode(path, "-._~$&+,/:;=@");
}

StatusOr<Json> CallAllowMissing(HttpClient& client, std::string_view method, std::string_view path,
                                const Json& body) {
  TRESOR_ASSIGN_OR_RETURN(HttpResponse response, client.Send(method, path, body));
  if (response.status == 404) {
    const Json& parsed = response.body;
    bool has_data = parsed.is_object() && parsed.contains("data") && !parsed["data"].is_null() &&
                    !parsed["data"].empty();
    bool has_warnings = parsed.is_object() && parsed.contains("warnings") &&
                        parsed["warnings"].is_array() && !parsed["warnings"].empty();
    return has_data || has_warnings ? parsed : Json();
  }
  if (response.status >= 200 && response.status < 300) return std::move(response.body);
  bool list = method == "LIST";
  return ApiErrorStatus(list ? "GET" : method,
                        client.url().Format(std::string(path) + (list ? "?list=true" : "")),
                        response);
}

int ApiFailure(CommandIo& io, std::string_view doing, const Status& status) {
  PrintError(io, doing, status);
  return kExitUsage;
}

int UsageFailure(CommandIo& io, std::string_view message) {
  io.err << message << "\n";
  return kExitUsage;
}

std::string SanitizePath(std::string_view path) {
  size_t begin = path.find_first_not_of(" \t\r\n");
  if (begin == std::string_view::npos) return "";
  size_t end = path.find_last_not_of(" \t\r\n");
  path = path.substr(begin, end - begin + 1);
  while (path.starts_with('/')) path.remove_prefix(1);
  return std::string(path);
}

std::string EnsureTrailingSlash(std::string path) {
  if (!path.empty() && !path.ends_with('/')) path += '/';
  return path;
}

}  // namespace tresor::cli
