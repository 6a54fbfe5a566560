// Reading one file out of a .zip held in memory: ChatGPT and Claude hand out their data exports as
// zip archives with conversations.json inside. minizip (zlib's contrib, Debian libminizip-dev)
// reads the archive; hearth only supplies in-memory I/O and the limits.
#pragma once
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hearth::memory {

bool is_zip(std::string_view bytes);  // starts with a local file header ("PK\3\4")

// The member named `name`, at the top or in any folder ("export/conversations.json"); nullopt if
// there is none. Throws Error(format) naming `where` for a damaged archive, an encrypted or
// unsupported member, or one that inflates beyond `max_bytes` (a zip bomb stops there).
std::optional<std::string> zip_member(const std::string& bytes, const std::string& name, const std::string& where,
                                      size_t max_bytes);
// The names of the archive's members (for error messages), at most `limit`.
std::vector<std::string> zip_names(const std::string& bytes, const std::string& where, size_t limit = 20);

}  // namespace hearth::memory
