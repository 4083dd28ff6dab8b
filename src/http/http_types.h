// The Beast message types (and a string_view conversion) the http/ layer exchanges between its
// parts: the connection reads an HttpRequest, request_parser turns it into a core::Request,
// response_writer builds an HttpResponse (or a StreamingResponseHeader).
//
// Thread safety: type aliases only.
#pragma once

#include <boost/beast/core/string.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <string_view>

namespace tresor::http {

using HttpRequest = boost::beast::http::request<boost::beast::http::string_body>;
using HttpResponse = boost::beast::http::response<boost::beast::http::string_body>;
// The header of a response whose body is streamed (core::Response::body_stream).
using StreamingResponseHeader = boost::beast::http::response<boost::beast::http::empty_body>;

// Beast 1.74 uses boost::string_view; the rest of Tresor uses std's.
inline std::string_view ToStdView(boost::beast::string_view s) { return {s.data(), s.size()}; }

}  // namespace tresor::http
