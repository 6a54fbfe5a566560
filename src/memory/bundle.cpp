#include "memory/bundle.h"

#include <fstream>
#include <iterator>
#include <set>

#include "core/error.h"
#include "core/mmap.h"
#include "core/paths.h"
#include "memory/crypto.h"
#include "memory/importers.h"
#include "memory/reconcile.h"
#include "memory/zip_member.h"

namespace hearth::memory {

namespace {
// Version 2 added the knowledge graph (kinds entity and relation, fields entity, entity_type,
// relation); version 1 bundles read as before.
constexpr int kBundleVersion = 2;
}

ConflictMode parse_conflict_mode(const std::string& s) {
  if (s == "skip") return ConflictMode::skip;
  if (s == "overwrite") return ConflictMode::overwrite;
  if (s == "keep-both" || s == "keep_both") return ConflictMode::keep_both;
  fail(Errc::invalid_argument, "unknown conflict mode \"" + s + "\" (skip, overwrite, keep-both)");
}

std::string write_bundle(const std::vector<Record>& records, const SigningKey* key) {
  ordered_json header;
  header["type"] = "header";
  header["format"] = "hearth-memory";
  header["version"] = kBundleVersion;
  header["records"] = records.size();
  std::string out = header.dump() + "\n";
  for (const auto& r : records) {
    ordered_json line;
    line["type"] = "record";
    ordered_json fields = to_json(r);  // named: items() of a temporary would dangle
    for (auto& [k, v] : fields.items()) line[k] = v;
    out += line.dump() + "\n";
  }
  if (key) {
    ordered_json sig;
    sig["type"] = "signature";
    sig["alg"] = "ed25519";
    sig["public_key"] = to_hex(key->public_key);
    sig["value"] = to_hex(sign_detached(out, *key));
    out += sig.dump() + "\n";
  }
  return out;
}

std::string export_bundle(Store& store, const ExportOptions& o) {
  std::vector<Record> recs;
  for (auto& r : store.all_records(o.include_deleted))
    if (o.scope.empty() || r.scope == o.scope) recs.push_back(std::move(r));
  SigningKey key;
  if (o.sign) key = load_or_create_signing_key(o.key_dir.empty() ? hearth_dir("memory") : o.key_dir);
  std::string text = write_bundle(recs, o.sign ? &key : nullptr);
  return o.passphrase.empty() ? text : encrypt_bundle(text, o.passphrase);
}

std::vector<Record> parse_bundle(std::string_view text, const std::string& name, std::string* signer,
                                 const std::function<void(uint64_t, uint64_t)>& on_bytes) {
  std::vector<Record> out;
  size_t pos = 0, line_no = 0;
  int64_t declared = -1;
  bool signature_seen = false;
  std::set<std::string> ids;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    size_t line_start = pos;
    pos = end + 1;
    ++line_no;
    if (on_bytes && line_no % 512 == 0) on_bytes(line_start, text.size());
    std::string where = name + ":" + std::to_string(line_no);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.find_first_not_of(" \t") == std::string_view::npos) continue;
    if (signature_seen) fail(Errc::format, where + ": content after the signature line");
    json j;
    try {
      j = json::parse(line);
    } catch (const json::exception& e) {
      fail(Errc::format, where + ": not valid JSON (" + std::string(e.what()) + ")");
    }
    if (!j.is_object() || !j.contains("type") || !j["type"].is_string())
      fail(Errc::format, where + ": each line must be an object with a \"type\"");
    std::string type = j["type"];
    if (line_no == 1 || declared < 0) {
      if (type != "header" || j.value("format", "") != "hearth-memory")
        fail(Errc::format, where + ": the first line must be the hearth-memory header");
      if (!j.contains("version") || !j["version"].is_number_integer() || j["version"].get<int>() < 1 ||
          j["version"].get<int>() > kBundleVersion)
        fail(Errc::format, where + ": unsupported bundle version (this hearth reads versions 1 and 2)");
      if (!j.contains("records") || !j["records"].is_number_unsigned())
        fail(Errc::format, where + ": header lacks the record count");
      declared = j["records"].get<int64_t>();
      continue;
    }
    if (type == "record") {
      Record r = record_from_json(j, where);
      if (!ids.insert(r.id).second) fail(Errc::format, where + ": duplicate id " + r.id);
      out.push_back(std::move(r));
    } else if (type == "signature") {
      if (j.value("alg", "") != "ed25519") fail(Errc::format, where + ": unknown signature algorithm");
      std::string pk, sig;
      try {
        pk = from_hex(j.value("public_key", ""));
        sig = from_hex(j.value("value", ""));
      } catch (const Error&) {
        fail(Errc::format, where + ": signature line has bad hex");
      }
      if (!verify_detached(text.substr(0, line_start), sig, pk))
        fail(Errc::auth, name + ": the signature does not match: the bundle was altered after signing");
      if (signer) *signer = to_hex(pk);
      signature_seen = true;
    } else {
      fail(Errc::format, where + ": unknown line type \"" + type + "\"");
    }
  }
  if (on_bytes) on_bytes(text.size(), text.size());
  if (declared < 0) fail(Errc::format, name + ": empty bundle (no header)");
  if (static_cast<size_t>(declared) != out.size())
    fail(Errc::format, name + ": header announces " + std::to_string(declared) + " records but " +
                           std::to_string(out.size()) + " are present (truncated?)");
  return out;
}

ImportReport import_file(Store& store, const std::string& path, const ImportOptions& o) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) fail(Errc::not_found, o.name + ": no such file");
  if (!std::filesystem::is_regular_file(path, ec)) {
    // A pipe (`<(zcat export.jsonl.gz)`) cannot be mapped: read it whole.
    std::ifstream in(path, std::ios::binary);
    if (!in) fail(Errc::not_found, o.name + ": cannot read it");
    return import_bytes(store, std::string((std::istreambuf_iterator<char>(in)), {}), o);
  }
  if (std::filesystem::file_size(path, ec) == 0) fail(Errc::format, o.name + ": the file is empty");
  const MappedFile file(path);
  return import_bytes(store, std::string_view(reinterpret_cast<const char*>(file.data()), file.size()), o);
}

ImportReport import_bytes(Store& store, std::string_view bytes, const ImportOptions& o) {
  ImportReport rep;
  auto progress = [&](const char* phase, uint64_t done, uint64_t total) {
    if (o.on_progress) o.on_progress({phase, done, total});
  };
  // The text to parse: the input itself, or what was decrypted or unpacked from it.
  std::string owned;
  std::string_view text = bytes;
  if (is_encrypted_bundle(bytes)) {
    if (o.passphrase.empty())
      fail(Errc::auth, o.name + " is encrypted: give the passphrase (--passphrase-file or HEARTH_PASSPHRASE)");
    owned = decrypt_bundle(std::string(bytes), o.passphrase);
    text = owned;
  }
  std::string name = o.name;
  if (is_zip(text)) {
    // A data export as downloaded: ChatGPT's and Claude's both hold a conversations.json.
    const std::string zip(text);
    auto member = zip_member(zip, "conversations.json", o.name, kMaxZipMemberBytes);
    if (!member) {
      std::string names;
      for (const auto& n : zip_names(zip, o.name)) names += (names.empty() ? "" : ", ") + n;
      fail(Errc::format, o.name + ": a zip without conversations.json (ChatGPT and Claude exports have one); it holds: " +
                             (names.empty() ? std::string("nothing") : names));
    }
    owned = std::move(*member);
    text = owned;
    name = o.name + ":conversations.json";
  }
  rep.format = o.format == "auto" ? detect_format(text, name) : o.format;
  std::vector<Record> recs;
  if (rep.format == "hearth") {
    recs = parse_bundle(text, name, &rep.signer, [&](uint64_t d, uint64_t t) { progress("read", d, t); });
    if (o.require_signature && rep.signer.empty()) fail(Errc::auth, o.name + " is not signed");
  } else {
    progress("read", 0, text.size());
    recs = import_foreign(rep.format, text, name);
    progress("read", text.size(), text.size());
    split_oversized(recs, store.max_memory_bytes());  // a hearth bundle's records are refused instead
  }
  rep.read = recs.size();
  for (auto& r : recs) {
    if (auto it = o.remap_scope.find(r.scope); it != o.remap_scope.end()) r.scope = it->second;
    if (!valid_scope(r.scope)) fail(Errc::invalid_argument, "scope remapping produced a bad scope \"" + r.scope + "\"");
  }
  // Repeats and replaced facts are settled before the write (the lookups may embed); a refused
  // import changes nothing, as the transaction below is the only write.
  ImportReconciled rc =
      reconcile_import(store, recs, "import", [&](size_t d, size_t t) { progress("reconcile", d, t); });
  rep.duplicates = rc.duplicates;
  rep.superseded = rc.superseded.size();
  rep.arrived_superseded = rc.imported_superseded;
  // Everything is validated; now apply as one transaction and one undo step.
  store.batch([&] {
    for (const auto& o : rc.superseded) store.put(o, false);
    size_t written = 0;
    for (auto& r : recs) {
      if (written++ % 256 == 0) progress("write", written - 1, recs.size());
      auto existing = store.get(r.id);
      if (!existing) {
        store.put(r, false);
        ++rep.added;
      } else if (*existing == r || o.mode == ConflictMode::skip) {
        ++rep.skipped;
      } else if (o.mode == ConflictMode::overwrite) {
        store.put(r, false);
        ++rep.overwritten;
      } else {
        Record copy = r;
        copy.id = new_id();
        copy.links.push_back({r.id, "conflict_copy"});
        store.put(copy, false);
        ++rep.kept_both;
      }
    }
    progress("write", recs.size(), recs.size());
  });
  return rep;
}

}  // namespace hearth::memory
