#include "server/leader_client.h"

#include "http/forwarder.h"

namespace tresor::server {

StatusOr<nlohmann::json> PostJsonToNode(const std::string& base_url, const std::string& path,
                                        const nlohmann::json& body) {
  namespace beast_http = boost::beast::http;
  http::HttpRequest request{beast_http::verb::post, "/v1/" + path, 11};
  request.set(beast_http::field::content_type, "application/json");
  request.body() = body.dump();
  request.prepare_payload();
  http::ForwardOptions options;
  options.timeout = std::chrono::seconds(30);
  TRESOR_ASSIGN_OR_RETURN(http::HttpResponse response,
                          http::ForwardRequest(base_url, request, options));
  nlohmann::json answer = nlohmann::json::parse(response.body(), nullptr, /*allow_exceptions=*/false);
  int status = response.result_int();
  if (status >= 200 && status < 300) {
    if (answer.is_discarded()) return UnavailableError(base_url + " did not answer with JSON");
    return answer;
  }
  std::string message = "HTTP " + std::to_string(status);
  if (!answer.is_discarded() && answer.contains("errors") && answer["errors"].is_array() &&
      !answer["errors"].empty() && answer["errors"][0].is_string()) {
    message = answer["errors"][0].get<std::string>();
  }
  if (status == 403) return PermissionDeniedError(message);
  if (status >= 400 && status < 500) return InvalidArgumentError(message);
  return UnavailableError(message);
}

}  // namespace tresor::server
