// hearth pack: one executable file holding the hearth program, a GGUF model and a manifest.
// The byte layout is in gguf/packed.h and docs/pack-format.md; this is the API to write, read,
// verify and unpack such files.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/json.h"
#include "gguf/packed.h"

namespace hearth::pack {

// The record format (Layout, kMagic, read_trailer, ...) is shared with the GGUF reader.
using namespace gguf::packed;

// What the manifest (JSON, inside the pack) says.
struct Manifest {
  std::string name;            // display name
  std::string model_file;      // the GGUF's original file name (what --extract writes)
  std::string architecture;    // general.architecture
  uint64_t gguf_size = 0;
  std::string gguf_sha256;     // hex
  uint64_t runtime_size = 0;
  std::string runtime_sha256;  // hex
  bool runtime_static = false; // the program needs no shared libraries
  std::string runtime_target;  // e.g. "x86-64-linux"
  std::string hearth_version;
  std::string hearth_commit;
  std::vector<std::string> args;  // default `hearth serve` flags
  std::string system;          // system message for chats that bring none ("" = none)
  uint64_t memories = 0;       // memories from a bundle written into `system`
  // The system prompt's keys and values, computed at pack time (model::KvSnapshot bytes), in
  // the padding before the model; size 0 = none. Bound to the model by its sha256.
  struct Kv {
    uint64_t offset = 0, size = 0;
    std::string sha256;
    uint64_t tokens = 0;
    std::string model_sha256;
    std::string cache_type_k, cache_type_v;
  } kv;
  std::string created;         // UTC, ISO 8601

  json to_json() const;
  // Error(format) naming the field when a required one is missing or has the wrong type.
  static Manifest from_json(const json& j);
};

struct WriteOptions {
  std::string model;           // a GGUF file, or another pack (its model is taken)
  std::string output;
  std::string runtime;         // the program to embed (a pack's program part is taken)
  std::string name;            // default: the GGUF's general.name, else the file name
  std::vector<std::string> args;
  std::string system;
  uint64_t memories = 0;
  // Serialized model::KvSnapshot of `system` (empty: none) and what it holds.
  std::string kv;
  uint64_t kv_tokens = 0;
  std::string kv_cache_type_k, kv_cache_type_v;
  std::string hearth_version;  // of the runtime
  std::string hearth_commit;
};

struct WriteResult {
  Layout layout;
  Manifest manifest;
};

// Writes the pack to a temporary file next to `output`, then renames it into place (mode 0755
// minus umask). Error(not_found|io|format) naming the file at fault.
WriteResult write_pack(const WriteOptions& o);

struct Pack {
  std::string path;
  Layout layout;
  Manifest manifest;
  std::string manifest_text;  // the JSON exactly as stored
};

// The pack at `path`, or nullopt when the file carries no pack trailer. The manifest's checksum
// and its agreement with the trailer are checked (cheap); the model's and program's are not
// (see verify). Error(format) for a damaged pack.
std::optional<Pack> open_pack(const std::string& path);
// As open_pack, but a file without a trailer is an Error(format) that says what it is instead:
// a truncated pack, a GGUF, some other program or file.
Pack require_pack(const std::string& path);
// Why `path` (which has no pack trailer) is not a usable pack, in one sentence.
std::string explain_not_a_pack(const std::string& path);
// When `path` is a program followed by a pack leader but no trailer (a pack whose end was cut
// off), the message saying so; nullopt otherwise. Cheap: a few small reads.
std::optional<std::string> truncated_pack(const std::string& path);

// The precomputed KV part (empty when the pack has none), checked against the manifest: within
// the padding before the model, its sha256, and bound to this pack's model. Error(format) when not.
std::string read_kv(const Pack& p);

// Hashes the program and the model and compares with the manifest. Error(format) saying which
// part is damaged or was tampered with.
void verify(const Pack& p);

// Writes the embedded GGUF to dir/<model_file> (checking its sha256 on the way) and returns the
// path. Refuses to overwrite an existing file.
std::string extract(const Pack& p, const std::string& dir);

// "Verified" memo under $HEARTH_HOME so later starts of the same unchanged file skip hashing.
// Keyed by the file's device, inode, size, modification time and manifest checksum.
bool verified_before(const Pack& p);
void remember_verified(const Pack& p);  // best effort: an unwritable home is not an error

// Splits a flag string the way a shell would for plain words, '…', "…" and backslash escapes.
std::vector<std::string> split_args(const std::string& s);

// The running program's own file (/proc/self/exe, else argv0 through PATH).
std::string self_path(const char* argv0);

}  // namespace hearth::pack
