#include "cli/pack_persona.h"

#include <algorithm>
#include <fstream>
#include <sstream>

#include "cli/generation_flags.h"
#include "core/error.h"
#include "engine/chat_format.h"
#include "engine/loader.h"
#include "engine/session.h"
#include "memory/bundle.h"
#include "memory/store.h"
#include "model/kv_snapshot.h"

namespace hearth::cli {
namespace {

std::string read_all(const std::string& path, const std::string& what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(Errc::not_found, what + ": cannot read " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The memories of a hearth bundle (live, unexpired), most important first, in the words serve
// uses when it adds memories to a prompt.
std::string memory_section(const std::string& bundle, uint64_t* count) {
  const auto records = memory::parse_bundle(read_all(bundle, "--memory"), bundle, nullptr);
  std::vector<memory::SearchHit> hits;
  const int64_t now = memory::now_ms();
  for (const auto& r : records)
    if (!r.deleted && (r.expires == 0 || r.expires > now)) hits.push_back({r});
  std::stable_sort(hits.begin(), hits.end(), [](const auto& a, const auto& b) { return a.record.importance > b.record.importance; });
  *count = hits.size();
  return memory::format_for_prompt(hits, 16000);
}

}  // namespace

Persona build_persona(const std::string& model_path, const std::string& system, const std::string& memory_bundle,
                      const std::vector<std::string>& serve_args, bool precompute) {
  Persona p;
  p.system = system;
  if (!memory_bundle.empty()) {
    const std::string mem = memory_section(memory_bundle, &p.memories);
    if (!mem.empty()) p.system += (p.system.empty() ? "" : "\n\n") + mem;
  }
  if (p.system.empty() || !precompute) return p;

  // The cache types and template the pack's server will use.
  CLI::App app;
  app.allow_extras();
  KvCacheFlags kv;
  std::string template_file;
  add_kv_cache_flags(app, kv);
  app.add_option("--chat-template-file", template_file);
  std::vector<std::string> rev(serve_args.rbegin(), serve_args.rend());
  app.parse(rev);
  const model::KvTypes types = kv_types(kv);
  const std::string tmpl = template_file.empty() ? "" : read_all(template_file, "--chat-template-file");

  const engine::LoadedModel lm = engine::load_model(model_path);
  const engine::ChatFormatter fmt(lm.model->file(), *lm.tokenizer, tmpl);
  const std::vector<int32_t> tokens = fmt.tokenize({engine::ChatMessage{"system", p.system}}, false);
  engine::SessionOptions so;
  so.n_ctx = static_cast<int64_t>(tokens.size()) + 1;
  so.kv_types = types;
  engine::Session session(lm.model, lm.tokenizer, so);
  session.prompt(tokens);
  p.kv = model::KvSnapshot::take(session.cache(), tokens).serialize();
  p.kv_tokens = tokens.size();
  p.cache_type_k = kv.k;
  p.cache_type_v = kv.v;
  return p;
}

}  // namespace hearth::cli
