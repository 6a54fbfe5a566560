#include <algorithm>
#include <gtest/gtest.h>

#include "helpers.h"
#include "memory/bundle.h"
#include "memory/crypto.h"

using namespace hearth::memory;
using hearth::memory::test::TempStore;

namespace {
void fill(TempStore& t) {
  auto a = t.add("Prefers tea over coffee", "preference");
  auto b = t.add("Lives in Paris");
  RecordPatch p;
  p.text = "Lives in Berlin";
  t.store->update(b.id, p, "test");
  auto c = t.add("Finish the tax return", "task", "project:home");
  t.store->forget(c.id, "test");
  Record r;
  r.text = "Uses vim keybindings";
  r.tags = {"editor", "tools"};
  r.links = {{a.id, "related"}};
  r.expires = parse_time("2030-01-01T00:00:00.000Z");
  r.importance = 0.9;
  r.confidence = 0.75;
  r.source = {"conv-1", "openai", "gpt-4o", parse_time("2025-05-05T10:00:00.500Z")};
  t.store->add(r, "test");
}
std::string count_error(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const hearth::Error& e) {
    return e.what();
  }
  return "";
}
}  // namespace

TEST(MemoryBundle, ExportImportExportIsByteIdentical) {
  TempStore a, b;
  fill(a);
  std::string first = export_bundle(*a.store, {});
  ImportOptions io;
  auto rep = import_bytes(*b.store, first, io);
  EXPECT_EQ(rep.added, 4u);
  EXPECT_EQ(export_bundle(*b.store, {}), first);
  // Importing again changes nothing.
  auto again = import_bytes(*b.store, first, io);
  EXPECT_EQ(again.skipped, 4u);
  EXPECT_EQ(export_bundle(*b.store, {}), first);
}

TEST(MemoryBundle, EncryptedRoundTripAndRefusals) {
  TempStore a, b;
  fill(a);
  ExportOptions eo;
  eo.passphrase = "correct horse";
  std::string sealed = export_bundle(*a.store, eo);
  ASSERT_TRUE(is_encrypted_bundle(sealed));
  EXPECT_EQ(sealed.find("tea"), std::string::npos);
  ImportOptions io;
  io.passphrase = "wrong horse";
  std::string err = count_error([&] { import_bytes(*b.store, sealed, io); });
  EXPECT_NE(err.find("wrong passphrase"), std::string::npos) << err;
  EXPECT_EQ(b.store->stats().live, 0u);
  io.passphrase = "correct horse";
  std::string tampered = sealed;
  tampered[tampered.size() - 20] ^= 1;
  err = count_error([&] { import_bytes(*b.store, tampered, io); });
  EXPECT_NE(err.find("altered"), std::string::npos) << err;
  err = count_error([&] { import_bytes(*b.store, sealed.substr(0, sealed.size() - 5), io); });
  EXPECT_FALSE(err.empty());
  EXPECT_EQ(b.store->stats().live, 0u);
  io.passphrase.clear();
  err = count_error([&] { import_bytes(*b.store, sealed, io); });
  EXPECT_NE(err.find("passphrase"), std::string::npos) << err;
  io.passphrase = "correct horse";
  import_bytes(*b.store, sealed, io);
  EXPECT_EQ(export_bundle(*b.store, {}), export_bundle(*a.store, {}));
}

TEST(MemoryBundle, SignedBundleDetectsTampering) {
  TempStore a, b;
  fill(a);
  ExportOptions eo;
  eo.sign = true;
  eo.key_dir = a.dir;
  std::string signed_text = export_bundle(*a.store, eo);
  ImportOptions io;
  io.require_signature = true;
  std::string tampered = signed_text;
  tampered.replace(tampered.find("Berlin"), 6, "Madrid");
  std::string err = count_error([&] { import_bytes(*b.store, tampered, io); });
  EXPECT_NE(err.find("signature"), std::string::npos) << err;
  EXPECT_EQ(b.store->stats().live, 0u);
  err = count_error([&] { import_bytes(*b.store, export_bundle(*a.store, {}), io); });
  EXPECT_NE(err.find("not signed"), std::string::npos) << err;
  auto rep = import_bytes(*b.store, signed_text, io);
  EXPECT_EQ(rep.signer.size(), 64u);
  // The same key signs deterministically, so the round trip stays byte-identical.
  eo.key_dir = a.dir;
  EXPECT_EQ(export_bundle(*b.store, eo), signed_text);
}

TEST(MemoryBundle, ConflictModesAndScopeRemap) {
  TempStore a, b;
  auto r = a.add("Prefers dark mode", "preference", "app:editor");
  std::string bundle = export_bundle(*a.store, {});
  b.store->put(Record{.id = r.id, .kind = "preference", .text = "Prefers light mode", .scope = "app:editor",
                      .created = r.created, .updated = r.updated});
  ImportOptions io;
  io.mode = ConflictMode::skip;
  EXPECT_EQ(import_bytes(*b.store, bundle, io).skipped, 1u);
  EXPECT_EQ(b.store->get(r.id)->text, "Prefers light mode");
  io.mode = ConflictMode::keep_both;
  EXPECT_EQ(import_bytes(*b.store, bundle, io).kept_both, 1u);
  EXPECT_EQ(b.store->list({}).size(), 2u);
  io.mode = ConflictMode::overwrite;
  EXPECT_EQ(import_bytes(*b.store, bundle, io).overwritten, 1u);
  EXPECT_EQ(b.store->get(r.id)->text, "Prefers dark mode");
  // Undo reverts a whole import as one step.
  b.store->undo();
  EXPECT_EQ(b.store->get(r.id)->text, "Prefers light mode");
  TempStore c;
  io.remap_scope["app:editor"] = "agent:coder";
  import_bytes(*c.store, bundle, io);
  EXPECT_EQ(c.store->get(r.id)->scope, "agent:coder");
  io.remap_scope["app:editor"] = "nowhere";
  TempStore d;
  EXPECT_THROW(import_bytes(*d.store, bundle, io), hearth::Error);
  EXPECT_EQ(d.store->stats().live, 0u);
}

TEST(MemoryBundle, MalformedBundlesNameTheLine) {
  TempStore a, b;
  fill(a);
  std::string good = export_bundle(*a.store, {});
  ImportOptions io;
  io.name = "mem.jsonl";
  std::string bad = good;
  size_t third = bad.find('\n', bad.find('\n') + 1) + 1;
  bad.insert(third, "{\"type\":\"record\",\"id\":\"x\"\n");
  std::string err = count_error([&] { import_bytes(*b.store, bad, io); });
  EXPECT_NE(err.find("mem.jsonl:3"), std::string::npos) << err;
  std::string wrong_kind = good;
  size_t at = wrong_kind.find("\"preference\"");
  ASSERT_NE(at, std::string::npos);
  wrong_kind.replace(at, 12, "\"mood\"");
  // Records are exported in id order (ids are random), so find the edited record's line.
  size_t line = 1 + std::count(wrong_kind.begin(), wrong_kind.begin() + at, '\n');
  err = count_error([&] { import_bytes(*b.store, wrong_kind, io); });
  EXPECT_NE(err.find("mem.jsonl:" + std::to_string(line) + ":"), std::string::npos) << err;
  std::string truncated = good.substr(0, good.rfind('\n', good.size() - 2) + 1);
  err = count_error([&] { import_bytes(*b.store, truncated, io); });
  EXPECT_NE(err.find("truncated"), std::string::npos) << err;
  EXPECT_EQ(b.store->stats().live, 0u);
}

// A crafted header cannot make decryption allocate gigabytes: key-derivation parameters beyond
// 4x what hearth writes are refused before any work.
TEST(MemoryBundle, EncryptedHeaderWithHugeKdfParametersIsRefused) {
  std::string enc = hearth::memory::encrypt_bundle("{}", "pw");
  std::string big = enc;
  const uint32_t gib_in_kib = 1024 * 1024;
  for (int i = 0; i < 4; ++i) big[12 + i] = static_cast<char>((gib_in_kib >> (8 * i)) & 0xff);
  try {
    hearth::memory::decrypt_bundle(big, "pw");
    FAIL();
  } catch (const hearth::Error& e) {
    EXPECT_NE(std::string(e.what()).find("implausible"), std::string::npos) << e.what();
  }
  std::string slow = enc;
  slow[8] = 100;  // 100 passes
  EXPECT_THROW(hearth::memory::decrypt_bundle(slow, "pw"), hearth::Error);
  EXPECT_EQ(hearth::memory::decrypt_bundle(enc, "pw"), "{}");
}
