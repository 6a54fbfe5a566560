// hearth's version and the commit it was built from (set by CMake when configuring).
#pragma once

namespace hearth {

const char* version();     // "0.1.0"
const char* git_commit();  // short hash ("-dirty" with uncommitted changes), or "unknown" outside git

}  // namespace hearth
