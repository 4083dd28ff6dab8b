# Two precompiled headers, each built once and reused by every target of its
# kind: tresor_pch (the standard library and nlohmann/json, which reaches
# most of src/ through engines/logical.h) for the libraries, tresor_test_pch
# (the same plus GoogleTest and GoogleMock) for the test binaries.
# REUSE_FROM needs the same compile flags, which every target here shares.
set(TRESOR_PCH_STD
    <algorithm> <atomic> <chrono> <condition_variable> <cstdint> <cstring>
    <functional> <map> <memory> <mutex> <optional> <set> <string>
    <string_view> <thread> <unordered_map> <utility> <vector>)

add_library(tresor_pch STATIC ${PROJECT_SOURCE_DIR}/cmake/pch_anchor.cc)
target_link_libraries(tresor_pch PUBLIC nlohmann_json::nlohmann_json)
target_precompile_headers(tresor_pch PRIVATE ${TRESOR_PCH_STD} <nlohmann/json.hpp>)

add_library(tresor_test_pch STATIC ${PROJECT_SOURCE_DIR}/cmake/pch_anchor.cc)
target_link_libraries(tresor_test_pch PUBLIC nlohmann_json::nlohmann_json GTest::gtest
                      GTest::gmock)
target_precompile_headers(tresor_test_pch PRIVATE ${TRESOR_PCH_STD} <nlohmann/json.hpp>
                          <gtest/gtest.h> <gmock/gmock.h>)

# tresor_test(NAME SOURCES... LIBS...): a GoogleTest binary registered with
# CTest as one entry (one process runs all its cases: starting ~800
# sanitizer processes cost more than the cases), labelled `unit`.
function(tresor_test NAME)
  cmake_parse_arguments(ARG "" "" "SOURCES;LIBS" ${ARGN})
  add_executable(${NAME} ${ARG_SOURCES})
  target_link_libraries(${NAME} PRIVATE ${ARG_LIBS} GTest::gtest_main GTest::gmock)
  target_precompile_headers(${NAME} REUSE_FROM tresor_test_pch)
  add_test(NAME ${NAME} COMMAND ${NAME} --gtest_brief=1)
  set_tests_properties(${NAME} PROPERTIES LABELS unit TIMEOUT 900)
  tresor_test_cost(${NAME})
endfunction()
