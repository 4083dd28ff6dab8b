#include "common/version.h"

namespace tresor {

// TRESOR_BUILD_DATE is defined for this one file by src/common/CMakeLists.txt,
// so a new date recompiles nothing else.
const char kBuildDate[] = TRESOR_BUILD_DATE;

}  // namespace tresor
