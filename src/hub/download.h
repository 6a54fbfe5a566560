// Resumable HTTP(S) download to a file. Bytes go to DEST.partial; an interrupted transfer is
// resumed with a Range request next time; on success the file is renamed into place. The SHA-256
// of the whole file is computed while it streams (including the part fetched earlier).
#pragma once
#include <cstdint>
#include <functional>
#include <string>

namespace hearth::hub {

struct DownloadResult {
  uint64_t bytes = 0;          // final size
  uint64_t resumed_from = 0;   // bytes already present in DEST.partial
  std::string sha256;          // hex, of the whole file
  std::string expected_sha256; // from the server (X-Linked-Etag / ETag) when it offered one
};

// progress(done, total): total is 0 when unknown.
using ProgressFn = std::function<void(uint64_t done, uint64_t total)>;

// Throws Error(network) on transport failures (the .partial file is kept for resume),
// Error(not_found) on 404, Error(auth) on 401/403, Error(format) on a checksum mismatch (the
// .partial file is deleted, since resuming it cannot help).
DownloadResult download(const std::string& url, const std::string& dest, const ProgressFn& progress = {});

// Hex SHA-256 of a file.
std::string sha256_file(const std::string& path);

}  // namespace hearth::hub
