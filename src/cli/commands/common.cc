#include "cli/commands/common.h"

#include "common/secure_memory.h"

namespace tresor::cli {
namespace {

std::string Expected(size_t min, size_t max) {
  return min == max ? std::to_string(min) : std::to_string(min) + "-" + std::to_string(max);
}

// Empty unless a test replaced HttpClient::Create.
HttpClientFactory& ReplacedHttpClientFactory() {
  static HttpClientFactory* factory = new HttpClientFactory();
  return *factory;
}

StatusOr<std::unique_ptr<HttpClient>> MakeHttpClient(ClientOptions options) {
  const HttpClientFactory& factory = ReplacedHttpClientFactory();
  if (factory) return factory(std::move(options));
  return HttpClient::Create(std::move(options));
}

}  // namespace

StatusOr<std::unique_ptr<HttpClient>> NewClientFromFlags(const FlagSet& flags,
                                                         const ClientFlags& values) {
  TRESOR_ASSIGN_OR_RETURN(ClientOptions options, ResolveClientOptions(flags, values));
  return MakeHttpClient(std::move(options));
}

StatusOr<std::unique_ptr<HttpClient>> NewClientWithToken(const FlagSet& flags,
                                                         const ClientFlags& values,
                                                         std::string token) {
  TRESOR_ASSIGN_OR_RETURN(ClientOptions options, ResolveClientOptions(flags, values));
  SecureWipe(options.token);
  options.token = std::move(token);
  return MakeHttpClient(std::move(options));
}

void SetHttpClientFactoryForTest(HttpClientFactory factory) {
  ReplacedHttpClientFactory() = std::move(factory);
}

void PrintError(CommandIo& io, std::string_view doing, const Status& status) {
  io.err << "Error " << doing << ": " << status.message() << "\n";
}

bool CheckArgCount(const FlagSet& flags, CommandIo& io, size_t min, size_t max) {
  size_t got = flags.Args().size();
  if (got > max) {
    io.err << "Too many arguments (expected " << Expected(min, max) << ", got " << got << ")\n";
    return false;
  }
  if (got < min) {
    io.err << "Not enough arguments (expected " << Expected(min, max) << ", got " << got << ")\n";
    return false;
  }
  return true;
}

}  // namespace tresor::cli
