# What makes a build fast on a 2-core machine, set before any target exists.
#
# - ccache, when installed: its cache lives under the user's home
#   (~/.cache/ccache), so a fresh clone at another path still hits it.
#   BASEDIR and NOHASHDIR make the cache keys independent of the checkout's
#   path; the sloppiness lets it cache compiles that use a precompiled header
#   (cmake/Precompiled.cmake) and the header itself.
# - mold, when installed, links the large sanitizer test binaries in a
#   fraction of ld's time.
# - unity batches (TRESOR_UNITY): a target's files are compiled eight at a
#   time, so the templates they share are parsed and instantiated once.
find_program(TRESOR_CCACHE ccache)
if(TRESOR_CCACHE AND NOT CMAKE_CXX_COMPILER_LAUNCHER)
  set(CMAKE_CXX_COMPILER_LAUNCHER
      ${CMAKE_COMMAND} -E env
      CCACHE_BASEDIR=${PROJECT_SOURCE_DIR} CCACHE_NOHASHDIR=1
      CCACHE_SLOPPINESS=pch_defines,time_macros,include_file_mtime,include_file_ctime
      ${TRESOR_CCACHE})
endif()

find_program(TRESOR_MOLD mold)
if(TRESOR_MOLD)
  add_link_options(-fuse-ld=mold)
endif()

if(TRESOR_UNITY)
  set(CMAKE_UNITY_BUILD ON)
  set(CMAKE_UNITY_BUILD_BATCH_SIZE 8)
endif()
