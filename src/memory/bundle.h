// Export and import of memory bundles (docs/memory-format.md) and of other assistants' exports.
#pragma once
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "memory/crypto.h"
#include "memory/store.h"

namespace hearth::memory {

struct ExportOptions {
  bool include_deleted = true;  // tombstones are part of a lossless copy
  std::string scope;            // only this scope when set
  bool sign = false;            // append an Ed25519 signature line
  std::filesystem::path key_dir;  // where signing.key lives (default $HEARTH_HOME/memory)
  std::string passphrase;       // encrypt when non-empty
};

// The bundle bytes (JSON Lines, or the encrypted container when a passphrase is given).
std::string export_bundle(Store& store, const ExportOptions& opts);
// Serialises records as a plain bundle (header, records in the given order, optional signature).
std::string write_bundle(const std::vector<Record>& records, const SigningKey* key);

enum class ConflictMode { skip, overwrite, keep_both };
ConflictMode parse_conflict_mode(const std::string& s);

// The largest conversations.json read out of a zip export (a zip bomb stops there).
inline constexpr size_t kMaxZipMemberBytes = size_t(4) << 30;

// Where an import is: phase "read" counts bytes of the input parsed, "reconcile" and "write" count
// records. Reported every few hundred lines or records, and once when each phase ends.
struct ImportProgress {
  const char* phase;
  uint64_t done, total;
};

struct ImportOptions {
  ConflictMode mode = ConflictMode::skip;
  std::map<std::string, std::string> remap_scope;  // from -> to
  std::string passphrase;
  std::string format = "auto";  // auto, hearth, chatgpt, claude, mcp-jsonl, jsonl
  std::string name = "input";   // file name used in error messages
  bool require_signature = false;
  std::function<void(const ImportProgress&)> on_progress;  // optional
};

struct ImportReport {
  std::string format;
  size_t read = 0, added = 0, overwritten = 0, skipped = 0, kept_both = 0;
  // Reconciled with the memories already there (reconcile.h): repeats dropped, store records the
  // import replaced, imported records that arrived already replaced by a newer one.
  size_t duplicates = 0, superseded = 0, arrived_superseded = 0;
  std::string signer;  // hex public key when the bundle was signed and verified
};

// Parses, validates and applies everything in one transaction: any error leaves the store as it
// was. Throws Errc::format naming the file and line for malformed input, Errc::auth for a wrong
// passphrase, tampering or a bad signature.
// `bytes` may be a memory-mapped file (import_file): a plain bundle is parsed in place, line by
// line, without a copy of the text.
ImportReport import_bytes(Store& store, std::string_view bytes, const ImportOptions& opts);
// Maps the file and imports it (the file is read, never changed).
ImportReport import_file(Store& store, const std::string& path, const ImportOptions& opts);

// Parses a plain hearth bundle; `signer` receives the verified signer key (hex) if signed.
// `on_bytes(done, total)`, when given, is told how much of the text has been parsed.
std::vector<Record> parse_bundle(std::string_view text, const std::string& name, std::string* signer,
                                 const std::function<void(uint64_t, uint64_t)>& on_bytes = {});

}  // namespace hearth::memory
