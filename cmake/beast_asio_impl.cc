// The one translation unit that compiles Boost.Asio's and Boost.Beast's
// non-template code (cmake/BeastAsio.cmake says why).
#include <boost/asio/impl/src.hpp>
#include <boost/asio/ssl/impl/src.hpp>
#include <boost/beast/src.hpp>
