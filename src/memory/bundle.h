// Export and import of memory bundles (docs/memory-format.md) and of other assistants' exports.
#pragma once
#include <filesystem>
#include <map>
#include <string>
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

struct ImportOptions {
  ConflictMode mode = ConflictMode::skip;
  std::map<std::string, std::string> remap_scope;  // from -> to
  std::string passphrase;
  std::string format = "auto";  // auto, hearth, chatgpt, claude, mcp-jsonl, jsonl
  std::string name = "input";   // file name used in error messages
  bool require_signature = false;
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
ImportReport import_bytes(Store& store, const std::string& bytes, const ImportOptions& opts);

// Parses a plain hearth bundle; `signer` receives the verified signer key (hex) if signed.
std::vector<Record> parse_bundle(const std::string& text, const std::string& name, std::string* signer);

}  // namespace hearth::memory
