#include "core/version.h"

namespace hearth {

const char* version() { return HEARTH_VERSION; }
const char* git_commit() { return HEARTH_GIT_COMMIT; }

}  // namespace hearth
