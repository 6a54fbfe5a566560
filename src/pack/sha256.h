// Hashing of file ranges for packs (the digest itself is core's SHA-256).
#pragma once
#include <cstdint>
#include <string>

#include "core/sha256.h"

namespace hearth::pack {

using hearth::Digest;
using hearth::Sha256;
using hearth::sha256_of;
using hearth::to_hex;
// Hashes bytes [offset, offset+length) of the open file `fd`; `name` is used in errors.
Digest sha256_file_range(int fd, uint64_t offset, uint64_t length, const std::string& name);

}  // namespace hearth::pack
