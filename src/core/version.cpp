#include "core/version.h"

#include "hearth_git_commit.h"  // generated at build time (cmake/GitCommit.cmake)

namespace hearth {

const char* version() { return HEARTH_VERSION; }
const char* git_commit() { return HEARTH_GIT_COMMIT; }

}  // namespace hearth
