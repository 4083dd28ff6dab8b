# Boost.Asio and Boost.Beast in their separate-compilation mode: the
# non-template parts (Asio's reactor and SSL glue, Beast's HTTP parser,
# fields, errors) are compiled once, in tresor_beast_asio, instead of in
# every file that includes them. The macros must be the same for every
# file (and the precompiled headers), so they are set for the whole tree.
add_compile_definitions(BOOST_ASIO_SEPARATE_COMPILATION BOOST_BEAST_SEPARATE_COMPILATION)
add_library(tresor_beast_asio STATIC ${PROJECT_SOURCE_DIR}/cmake/beast_asio_impl.cc)
target_link_libraries(tresor_beast_asio PUBLIC Boost::headers OpenSSL::SSL Threads::Threads)
