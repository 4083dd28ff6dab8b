# tresor_layer(NAME DEPS <targets...>)
#
# Every folder under src/ is one static library, tresor_<NAME>, built from the
# .cc files in it and its subfolders. Files ending in _test.cc form the
# executable <NAME>_test, registered with CTest (tresor_test). DEPS are what the layer may
# link; scripts/check_layers.py enforces the matching include rules.
function(tresor_layer NAME)
  cmake_parse_arguments(ARG "" "" "DEPS;TEST_DEPS" ${ARGN})
  file(GLOB_RECURSE all_sources CONFIGURE_DEPENDS
       ${CMAKE_CURRENT_SOURCE_DIR}/*.cc)
  set(lib_sources ${all_sources})
  list(FILTER lib_sources EXCLUDE REGEX "_test\\.cc$")
  set(test_sources ${all_sources})
  list(FILTER test_sources INCLUDE REGEX "_test\\.cc$")

  tresor_compile_beast_files_alone(${all_sources})

  if(lib_sources)
    add_library(tresor_${NAME} STATIC ${lib_sources})
    target_include_directories(tresor_${NAME} PUBLIC ${PROJECT_SOURCE_DIR}/src)
    target_link_libraries(tresor_${NAME} PUBLIC ${ARG_DEPS})
    target_precompile_headers(tresor_${NAME} REUSE_FROM tresor_pch)
  else()  # A layer with headers only (or not yet written).
    add_library(tresor_${NAME} INTERFACE)
    target_include_directories(tresor_${NAME} INTERFACE ${PROJECT_SOURCE_DIR}/src)
    target_link_libraries(tresor_${NAME} INTERFACE ${ARG_DEPS})
  endif()

  if(test_sources)
    tresor_test(${NAME}_test SOURCES ${test_sources} LIBS tresor_${NAME} ${ARG_TEST_DEPS})
  endif()
endfunction()

# A file that instantiates Beast's templates gains nothing from a unity batch
# (each such file instantiates different ones) and would make the batch the
# build's long pole; such files (those that include Beast or Asio, or a test
# support header that does) compile on their own, in parallel. Test-support
# headers that only declare Beast operations (http/test_client_for_test.h)
# do not count: their bodies are compiled once, in their own .cc file.
function(tresor_compile_beast_files_alone)
  foreach(source ${ARGN})
    file(STRINGS ${source} beast_includes REGEX
         "^#include [<\"](boost/(beast|asio)|http/connection_internal\\.h|cli/fake_http_server_for_test\\.h)")
    if(beast_includes)
      set_source_files_properties(${source} PROPERTIES SKIP_UNITY_BUILD_INCLUSION ON)
    endif()
  endforeach()
endfunction()
