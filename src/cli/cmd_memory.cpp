// `hearth memory ...`: manage the local memory store (docs/memory.md).
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>
#include <unistd.h>

#include "cli/command.h"
#include "cli/file_input.h"
#include "cli/env_options.h"
#include "cli/memory_extract.h"
#include "cli/progress_bar.h"
#include "app/memory_embedder.h"
#include "core/error.h"
#include "core/utf8.h"
#include "core/json.h"
#include "memory/bundle.h"
#include "memory/embed_settings.h"
#include "memory/retrieval_bench.h"
#include "memory/reconcile.h"
#include "memory/scope_policy.h"
#include "memory/store.h"

namespace hearth::cli {
namespace {

using app::MemoryEmbedder;
using app::open_memory_embedder;

using namespace hearth::memory;

struct MemoryOpts {
  std::string db, text, id, scope, kind, tags, mode = "hybrid", out, in, conflict = "skip", format = "auto";
  std::string passphrase_file, by = "cli", expires;
  std::string embed_model, set_embedder;  // --embed-model; `embedder SPEC`
  bool reset_embedder = false;
  std::string policy_scope, policy;  // `policy [SCOPE [POLICY]]`
  std::string set_extractor;         // `extractor MODEL`
  bool reset_extractor = false;
  bool unset_policy = false;
  std::vector<std::string> remap;
  // bench
  std::string data, work_dir;
  std::vector<size_t> sizes;
  size_t queries = 300;
  bool no_recall = false, hash_only = false;
  size_t limit = 10;
  double importance = -1, confidence = -1;
  double min_similarity = kDefaultMinSimilarity;
  bool history = false;  // search: superseded and expired memories too
  std::string as_of;     // search: what was valid at this time
  bool progress = false;
  bool json_out = false, all = false, sign = false, require_sig = false, encrypt = false, no_deleted = false;
  ExtractCliOptions ex;  // `extract`
  AddCliOptions add;     // `add`: the model that decides, if any
};

std::vector<std::string> split_tags(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  std::string t;
  while (std::getline(ss, t, ','))
    if (!t.empty()) out.push_back(t);
  return out;
}

std::string passphrase(const MemoryOpts& o, bool needed) {
  if (!o.passphrase_file.empty()) {
    std::string p = read_input_file(o.passphrase_file, "--passphrase-file");
    while (!p.empty() && (p.back() == '\n' || p.back() == '\r')) p.pop_back();
    if (p.empty()) fail(Errc::invalid_argument, o.passphrase_file + " is empty");
    return p;
  }
  if (const char* e = std::getenv("HEARTH_PASSPHRASE"); e && *e) return e;
  if (needed) fail(Errc::invalid_argument, "encryption needs a passphrase: --passphrase-file or HEARTH_PASSPHRASE");
  return {};
}

json hit_json(const SearchHit& h) {
  json j = json::parse(to_json(h.record).dump());
  j["score"] = h.score;
  j["scores"] = {{"bm25", h.bm25}, {"vector", h.vector}, {"recency", h.recency}, {"importance", h.importance}};
  j["why"] = h.why;
  return j;
}

void print_record_line(const Record& r) {
  std::printf("%s  [%s] %s%s  (%s, %s)\n", r.id.c_str(), r.kind.c_str(), r.text.c_str(), r.deleted ? " (deleted)" : "",
              r.scope.c_str(), format_time(r.updated).c_str());
}

struct Ctx {
  MemoryEmbedder emb;
  std::unique_ptr<Store> store;
  explicit Ctx(const MemoryOpts& o) : emb(open_memory_embedder(embedder_choice(o.embed_model))) {
    store = std::make_unique<Store>(o.db.empty() ? Store::default_path() : std::filesystem::path(o.db), emb.embedder.get());
  }
};

// What `stats` and `embedder` say about the embedder, plainly when it is not a model.
std::string embedder_line(const MemoryEmbedder& e) {
  if (!e.is_model)
    return e.embedder->name() + ", the built-in word-hashing embedder, not a language model (" + e.source +
           "; choose one with `hearth memory embedder local:FILE.gguf` or `--embed-model`)";
  return e.embedder->name() + " (from " + e.source + ")";
}

// `hearth memory embedder [SPEC | --reset]`: shows or saves the embedding model setting.
int run_embedder(const MemoryOpts& o) {
  if (!o.set_embedder.empty() && o.reset_embedder)
    fail(Errc::invalid_argument, "memory embedder: give a model or --reset, not both");
  if (!o.set_embedder.empty()) {
    // Resolve first, so a missing file or bad spec is refused before anything is saved.
    auto chosen = open_memory_embedder(embedder_choice(o.set_embedder));
    std::string spec = chosen.spec;
    // A local file is loaded and tried now, so a file that is not a usable model is refused
    // here rather than on the next add; remote providers are not called just to configure them.
    if (spec.rfind("local:", 0) == 0) chosen.embedder->embed({"hearth"});
    save_embed_setting(spec);
    if (!o.json_out)
      std::printf("saved %s to %s; memories are re-embedded with %s on the next search (or `hearth memory reembed`)\n",
                  spec.c_str(), embed_config_path().c_str(), chosen.embedder->name().c_str());
  } else if (o.reset_embedder) {
    save_embed_setting("");
    if (!o.json_out) std::printf("removed the embedding model setting from %s\n", embed_config_path().c_str());
  }
  auto e = open_memory_embedder(embedder_choice(o.embed_model));
  if (o.json_out) {
    json j = {{"embedder", e.embedder->name()}, {"spec", e.spec}, {"source", e.source}, {"is_model", e.is_model}};
    std::printf("%s\n", j.dump().c_str());
  } else if (o.set_embedder.empty() && !o.reset_embedder) {
    std::printf("%s\n", embedder_line(e).c_str());
  }
  return kExitOk;
}

// The settings file beside the database (scope policies, extraction model, size limit).
std::filesystem::path config_beside_db(const MemoryOpts& o) {
  return memory_config_path(o.db.empty() ? Store::default_path() : std::filesystem::path(o.db));
}

// `hearth memory extractor [MODEL | --reset]`: shows or saves the extraction model setting.
int run_extractor(const MemoryOpts& o) {
  const auto config = config_beside_db(o);
  if (!o.set_extractor.empty() && o.reset_extractor)
    fail(Errc::invalid_argument, "memory extractor: give a model or --reset, not both");
  if (!o.set_extractor.empty()) save_extract_model(config, o.set_extractor);
  if (o.reset_extractor) save_extract_model(config, "");
  const auto m = load_extract_model(config);
  if (o.json_out) {
    std::printf("%s\n", json{{"extract_model", m ? json(*m) : json(nullptr)}, {"config", config.string()}}.dump().c_str());
  } else if (m) {
    std::printf("%s (from %s)\n", m->c_str(), config.c_str());
  } else {
    std::printf("not set: serve extracts with the model it serves, `memory extract` with the router's default_model\n");
  }
  return kExitOk;
}

// `hearth memory policy [SCOPE [POLICY] | SCOPE --unset]`: lists, looks up or sets where each
// scope's memories may be sent (scope_policy.h), in the config.json beside the database.
int run_policy(const MemoryOpts& o) {
  const std::filesystem::path config = config_beside_db(o);
  ScopePolicies p = load_scope_policies(config);
  if (o.unset_policy && (o.policy_scope.empty() || !o.policy.empty()))
    fail(Errc::invalid_argument, "memory policy: --unset takes a scope pattern and no policy");
  if (!o.policy.empty() || o.unset_policy) {
    if (o.unset_policy) {
      if (!p.unset(o.policy_scope)) fail(Errc::not_found, "memory policy: no saved policy for \"" + o.policy_scope + "\"");
    } else {
      p.set(o.policy_scope, parse_scope_policy(o.policy, "memory policy"));
    }
    save_scope_policies(config, p);
  }
  if (!o.policy_scope.empty()) {
    const auto d = p.lookup(o.policy_scope);
    if (o.json_out) {
      std::printf("%s\n", json{{"scope", o.policy_scope}, {"pattern", d.pattern}, {"policy", d.policy.text()}, {"config", config.string()}}.dump().c_str());
    } else {
      std::printf("%s: %s (%s)\n", o.policy_scope.c_str(), d.policy.text().c_str(),
                  d.pattern.empty() ? "no pattern matches: the default" : ("pattern " + d.pattern).c_str());
    }
    return kExitOk;
  }
  const ScopePolicies builtin;
  json rows = json::array();
  for (const auto& [pattern, policy] : p.entries()) {
    auto b = builtin.entries().find(pattern);
    rows.push_back({{"pattern", pattern}, {"policy", policy.text()}, {"builtin", b != builtin.entries().end() && b->second == policy}});
  }
  if (o.json_out) {
    std::printf("%s\n", json{{"policies", rows}, {"default", "any-provider"}, {"config", config.string()}}.dump().c_str());
    return kExitOk;
  }
  for (const auto& r : rows)
    std::printf("%-20s %s%s\n", r["pattern"].get<std::string>().c_str(), r["policy"].get<std::string>().c_str(),
                r["builtin"].get<bool>() ? " (built in)" : "");
  std::printf("%-20s any-provider (every other scope)\n", "*");
  return kExitOk;
}

// `hearth memory bench`: LoCoMo recall per search mode, then latency at each --sizes.
int run_bench(const MemoryOpts& o) {
  namespace B = hearth::memory::bench;
  std::filesystem::path data = o.data;
  if (data.empty()) {
    const char* sh = std::getenv("HEARTH_SHARED");
    data = std::filesystem::path(sh && *sh ? sh : "../shared") / "memory-bench/locomo10.json";
  }
  std::filesystem::path work = o.work_dir.empty() ? std::filesystem::temp_directory_path() / "hearth-memory-bench" : std::filesystem::path(o.work_dir);
  size_t skipped = 0;
  auto convs = B::load_locomo(data, &skipped);
  HashEmbedder hash;
  std::vector<Embedder*> embedders = {&hash};
  MemoryEmbedder chosen;
  if (!o.hash_only) {
    chosen = open_memory_embedder(embedder_choice(o.embed_model));
    if (chosen.is_model) embedders.push_back(chosen.embedder.get());
  }
  json out = {{"dataset", data.string()}, {"conversations", convs.size()}, {"skipped_questions", skipped},
              {"recall", json::array()}, {"latency", json::array()}};
  if (!o.no_recall) {
    if (!o.json_out) std::printf("%-7s %-28s %9s %9s %9s %9s %9s %8s\n", "mode", "embedder", "all@5", "all@10", "ev@5", "ev@10", "any@5", "ms/q");
    for (auto* e : embedders)
      for (const auto& r : B::run_recall(convs, *e, work)) {
        out["recall"].push_back(B::to_json(r));
        if (!o.json_out)
          std::printf("%-7s %-28s %9.3f %9.3f %9.3f %9.3f %9.3f %8.3f\n", r.mode.c_str(), r.embedder.c_str(), r.all_at5, r.all_at10,
                      r.frac_at5, r.frac_at10, r.any_at5, r.mean_ms);
      }
  }
  if (!o.json_out && !o.sizes.empty())
    std::printf("\n%-7s %-28s %9s %9s %9s %9s %9s\n", "mode", "embedder", "memories", "p50 ms", "p99 ms", "mean ms", "ingest s");
  for (size_t n : o.sizes)
    for (auto* e : embedders)
      for (const auto& l : B::run_latency(convs, *e, work, n, o.queries)) {
        out["latency"].push_back(B::to_json(l));
        if (!o.json_out)
          std::printf("%-7s %-28s %9zu %9.3f %9.3f %9.3f %9.1f\n", l.mode.c_str(), l.embedder.c_str(), l.memories, l.p50_ms,
                      l.p99_ms, l.mean_ms, l.ingest_s);
        std::fflush(stdout);
      }
  if (o.json_out) std::printf("%s\n", out.dump(2).c_str());
  std::error_code ec;
  if (o.work_dir.empty()) std::filesystem::remove_all(work, ec);
  return kExitOk;
}

// One function per subcommand that works on the store; `run` picks it by name.
int sub_add(Store& st, const Ctx& ctx, const MemoryOpts& o) {
  Record r;
  r.text = o.text;
  if (!o.kind.empty()) r.kind = o.kind;
  if (!o.scope.empty()) r.scope = o.scope;
  r.tags = split_tags(o.tags);
  if (o.importance >= 0) r.importance = o.importance;
  if (o.confidence >= 0) r.confidence = o.confidence;
  if (!o.expires.empty()) r.expires = parse_time(o.expires);
  if (!o.id.empty()) r.id = o.id;
  AddCliOptions ao = o.add;
  ao.json_out = o.json_out;
  ao.saved_model = load_extract_model(config_beside_db(o)).value_or("");
  ao.policy_config = config_beside_db(o);
  ao.load = load_options_from_env();
  return run_memory_add(st, r, o.by, ao);
}

int sub_search(Store& st, const Ctx& ctx, const MemoryOpts& o) {
  SearchOptions so;
  so.query = o.text;
  so.limit = o.limit;
  so.mode = parse_search_mode(o.mode);
  so.scope = o.scope;
  so.kind = o.kind;
  so.tags = split_tags(o.tags);
  so.min_similarity = o.min_similarity;
  if (o.history && !o.as_of.empty()) fail(Errc::invalid_argument, "memory search: --history and --as-of exclude each other");
  so.include_expired = o.history;
  if (!o.as_of.empty()) so.as_of = parse_time(o.as_of);
  auto hits = st.search(so);
  if (o.json_out) {
    json arr = json::array();
    for (auto& h : hits) arr.push_back(hit_json(h));
    std::printf("%s\n", arr.dump().c_str());
  } else {
    if (hits.empty()) std::printf("no matching memories\n");
    for (auto& h : hits) {
      std::printf("%.3f  ", h.score);
      print_record_line(h.record);
      std::string why;
      for (auto& w : h.why) why += (why.empty() ? "" : "; ") + w;
      std::printf("       why: %s\n", why.c_str());
    }
  }
  return kExitOk;
}

int sub_list(Store& st, const Ctx& ctx, const MemoryOpts& o) {
  ListOptions lo;
  lo.scope = o.scope;
  lo.kind = o.kind;
  lo.tags = split_tags(o.tags);
  lo.include_deleted = o.all;
  lo.limit = o.limit;
  auto recs = st.list(lo);
  if (o.json_out) {
    json arr = json::array();
    for (auto& r : recs) arr.push_back(json::parse(to_json(r).dump()));
    std::printf("%s\n", arr.dump().c_str());
  } else {
    for (auto& r : recs) print_record_line(r);
  }
  return kExitOk;
}

int sub_show(Store& st, const Ctx& ctx, const MemoryOpts& o) {
  auto r = st.get(o.id);
  if (!r) fail(Errc::not_found, "no memory with id " + o.id);
  std::printf("%s\n", o.json_out ? to_json(*r).dump().c_str() : to_json(*r).dump(2).c_str());
  return kExitOk;
}

int sub_edit(Store& st, const Ctx& ctx, const MemoryOpts& o) {
  RecordPatch p;
  if (!o.text.empty()) p.text = o.text;
  if (!o.kind.empty()) p.kind = o.kind;
  if (!o.scope.empty()) p.scope = o.scope;
  if (!o.tags.empty()) p.tags = split_tags(o.tags);
  if (o.importance >= 0) p.importance = o.importance;
  if (o.confidence >= 0) p.confidence = o.confidence;
  if (!o.expires.empty()) p.expires = parse_time(o.expires);
  auto r = st.update(o.id, p, o.by);
  std::printf("%s\n", r.id.c_str());
  return kExitOk;
}

int sub_forget(Store& st, const Ctx& ctx, const MemoryOpts& o) {
  st.forget(o.id, o.by);
  std::printf("forgot %s (undo with `hearth memory undo`, erase for good with `hearth memory purge`)\n", o.id.c_str());
  return kExitOk;
}

int sub_undo(Store& st, const Ctx& ctx, const MemoryOpts& o) {
  const auto done = st.undo();
  if (o.json_out) {
    std::printf("%s\n", json{{"undone", done}}.dump().c_str());
    return done.empty() ? kExitFailure : kExitOk;
  }
  if (done.empty()) {
    std::printf("nothing to undo\n");
    return kExitFailure;
  }
  std::printf("undid the last change (%zu record%s):\n", done.size(), done.size() == 1 ? "" : "s");
  for (const auto& u : done) {
    // One line each, cut (at a character boundary) to keep a long memory from flooding the terminal.
    std::string text = u.text;
    if (text.size() > 70) text = text.substr(0, utf8::char_start(text, 67)) + "...";
    for (char& c : text)
      if (c == '\n' || c == '\r' || c == '\t') c = ' ';
    std::printf("  %s %s: %s\n", u.action.c_str(), u.id.c_str(), text.c_str());
  }
  return kExitOk;
}

int sub_extract(Store& st, const Ctx& ctx, const MemoryOpts& o) {
  ExtractCliOptions ex = o.ex;
  ex.saved_model = load_extract_model(config_beside_db(o)).value_or("");
  ex.load = load_options_from_env();
  return run_memory_extract(st, ex);
}

int sub_purge(Store& st, const Ctx& ctx, const MemoryOpts& o) {
  const size_t n = st.purge();
  std::printf("purged %zu deleted memories%s\n", n, n ? " (the undo history starts again here)" : "");
  return kExitOk;
}

int sub_reembed(Store& st, const Ctx& ctx, const MemoryOpts& o) {
  std::printf("embedded %zu memories with %s\n", st.reembed(), ctx.emb.embedder->name().c_str());
  return kExitOk;
}

int sub_export(Store& st, const Ctx& ctx, const MemoryOpts& o) {
  ExportOptions eo;
  eo.include_deleted = !o.no_deleted;
  eo.scope = o.scope;
  eo.sign = o.sign;
  if (o.encrypt) eo.passphrase = passphrase(o, true);
  std::string bytes = export_bundle(st, eo);
  if (o.out.empty() || o.out == "-") {
    std::fwrite(bytes.data(), 1, bytes.size(), stdout);
  } else {
    std::string tmp = o.out + ".tmp";
    {
      std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
      f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
      if (!f) fail(Errc::io, "cannot write " + tmp);
    }
    std::filesystem::rename(tmp, o.out);
  }
  return kExitOk;
}

int sub_import(Store& st, const Ctx& ctx, const MemoryOpts& o) {
  ImportOptions io;
  io.mode = parse_conflict_mode(o.conflict);
  io.format = o.format;
  io.name = o.in;
  io.require_signature = o.require_sig;
  io.passphrase = passphrase(o, false);
  for (const auto& m : o.remap) {
    auto eq = m.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == m.size())
      fail(Errc::invalid_argument, "--remap-scope wants FROM=TO, got \"" + m + "\"");
    io.remap_scope[m.substr(0, eq)] = m.substr(eq + 1);
  }
  PhaseProgress bar("import", o.progress || ::isatty(STDERR_FILENO), ::isatty(STDERR_FILENO));
  io.on_progress = [&](const ImportProgress& p) {
    bar.update(p.phase, p.done, p.total, std::string_view(p.phase) == "read");
  };
  // A file is mapped and parsed in place; stdin has to be read whole first.
  auto rep = o.in == "-" ? import_bytes(st, read_input_file(o.in, "import"), io) : import_file(st, o.in, io);
  bar.finish();
  if (o.json_out) {
    json j = {{"file", o.in},          {"format", rep.format},         {"read", rep.read},
              {"added", rep.added},    {"overwritten", rep.overwritten}, {"kept_both", rep.kept_both},
              {"skipped", rep.skipped}, {"duplicates", rep.duplicates}, {"superseded", rep.superseded},
              {"arrived_superseded", rep.arrived_superseded}, {"signer", rep.signer.empty() ? json() : json(rep.signer)}};
    std::printf("%s\n", j.dump().c_str());
    return kExitOk;
  }
  std::printf("imported %s (%s): %zu read, %zu added, %zu overwritten, %zu kept both, %zu skipped, %zu repeats of "
              "existing memories, %zu memories replaced by newer imported ones, %zu imported as already replaced%s\n",
              o.in.c_str(), rep.format.c_str(), rep.read, rep.added, rep.overwritten, rep.kept_both, rep.skipped,
              rep.duplicates, rep.superseded, rep.arrived_superseded,
              rep.signer.empty() ? "" : (", signed by " + rep.signer.substr(0, 16)).c_str());
  return kExitOk;
}

int sub_stats(Store& st, const Ctx& ctx, const MemoryOpts& o) {
  Stats s = st.stats();
  json j = {{"path", s.path}, {"live", s.live}, {"deleted", s.deleted}, {"vectors", s.vectors},
            {"embedder", s.embedder}, {"embedder_source", ctx.emb.source}, {"embedder_is_model", ctx.emb.is_model},
            {"undo_steps", s.undo_steps}, {"schema_version", s.schema_version},
            {"vectors_by_model", json::object()}, {"by_kind", json::object()}, {"by_scope", json::object()}};
  for (auto& [m, n] : s.vectors_by_model) j["vectors_by_model"][m] = n;
  for (auto& [k, n] : s.by_kind) j["by_kind"][k] = n;
  for (auto& [k, n] : s.by_scope) j["by_scope"][k] = n;
  if (o.json_out) {
    std::printf("%s\n", j.dump().c_str());
  } else {
    std::printf("%s\n%zu memories (%zu deleted, awaiting purge), %zu vectors from the current embedder\n", s.path.c_str(),
                s.live, s.deleted, s.vectors);
    std::printf("embedder: %s\n", embedder_line(ctx.emb).c_str());
    for (auto& [m, n] : s.vectors_by_model)
      if (m != s.embedder) std::printf("  %zu stale vectors from %s (replaced on the next search)\n", n, m.c_str());
    for (auto& [k, n] : s.by_kind) std::printf("  kind %-12s %zu\n", k.c_str(), n);
    for (auto& [k, n] : s.by_scope) std::printf("  scope %-11s %zu\n", k.c_str(), n);
  }
  return kExitOk;
}

using StoreCommand = int (*)(Store& st, const Ctx& ctx, const MemoryOpts& o);
const std::pair<const char*, StoreCommand> kStoreCommands[] = {
    {"add", sub_add},
    {"search", sub_search},
    {"list", sub_list},
    {"show", sub_show},
    {"edit", sub_edit},
    {"forget", sub_forget},
    {"undo", sub_undo},
    {"extract", sub_extract},
    {"purge", sub_purge},
    {"reembed", sub_reembed},
    {"export", sub_export},
    {"import", sub_import},
    {"stats", sub_stats},
};

int run(const std::string& sub, const MemoryOpts& o) {
  if (sub == "bench") return run_bench(o);
  if (sub == "embedder") return run_embedder(o);
  if (sub == "policy") return run_policy(o);
  if (sub == "extractor") return run_extractor(o);
  Ctx ctx(o);
  for (const auto& [name, fn] : kStoreCommands)
    if (sub == name) return fn(*ctx.store, ctx, o);
  fail(Errc::internal, "unhandled memory subcommand " + sub);
}

}  // namespace

Command memory_command() {
  return {"memory", "Manage the local memory store (add, search, export, import, ...)", [](CLI::App& app) {
    auto o = std::make_shared<MemoryOpts>();
    auto which = std::make_shared<std::string>();
    app.require_subcommand(1);
    app.fallthrough();  // --db and --embed-model also work after the subcommand
    app.add_option("--db", o->db, "Database file (default $HEARTH_HOME/memory/memory.db)");
    app.add_option("--embed-model", o->embed_model,
                   "Embedding model for this command: local:FILE.gguf, provider:model (router config) or hash");
    auto sub = [&](const char* name, const char* help) {
      auto* s = app.add_subcommand(name, help);
      s->callback([which, name] { *which = name; });
      return s;
    };
    auto common = [&](CLI::App* s, bool filters) {
      if (filters) {
        s->add_option("--scope", o->scope, "user, private, agent:<name>, app:<name> or project:<name>");
        s->add_option("--kind", o->kind, "fact, preference, instruction, task, episode or core (always given to the model)");
        s->add_option("--tags", o->tags, "Comma-separated tags");
      }
    };
    auto* add = sub("add", "Remember something");
    add->add_option("text", o->text, "What to remember")->required();
    common(add, true);
    add->add_option("--importance", o->importance, "0..1 (default 0.5)")->check(CLI::Range(0.0, 1.0));
    add->add_option("--confidence", o->confidence, "0..1 (default 1)")->check(CLI::Range(0.0, 1.0));
    add->add_option("--expires", o->expires, "RFC 3339 time after which it is not recalled");
    add->add_option("--id", o->id, "Explicit id (default: random)");
    add->add_flag("--json", o->json_out, "Print the stored record as JSON");
    add->add_option("--model", o->add.model,
                    "A model decides whether it repeats or replaces a stored memory: local:FILE.gguf or provider:model "
                    "(default: `hearth memory extractor` when saved, else the rules)");
    add->add_option("--config", o->add.config, "Router config for --model (default $HEARTH_HOME/router.yaml if present)");
    add->add_flag("--rules", o->add.rules, "Decide by the fixed rules even when an extractor model is saved");

    auto* search = sub("search", "Find memories (BM25 + vectors + recency)");
    search->add_option("query", o->text, "Search text")->required();
    common(search, true);
    search->add_option("-n,--limit", o->limit, "How many results");
    search->add_option("--mode", o->mode, "hybrid (default), bm25 or vector");
    search->add_option("--min-similarity", o->min_similarity,
                       "Hybrid mode: hits without a keyword of the query need at least this cosine (default 0.3; -1: no floor)")
        ->check(CLI::Range(-1.0, 1.0));
    search->add_flag("--history", o->history, "Also superseded and expired memories, as they were");
    search->add_option("--as-of", o->as_of, "The memories valid at this RFC 3339 time (before a later statement superseded them)");
    search->add_flag("--json", o->json_out, "JSON output with scores and reasons");

    auto* list = sub("list", "List memories, newest first");
    common(list, true);
    list->add_option("-n,--limit", o->limit, "How many");
    list->add_flag("--all", o->all, "Include deleted (tombstoned) memories");
    list->add_flag("--json", o->json_out, "JSON output");

    auto* show = sub("show", "Show one memory with its history");
    show->add_option("id", o->id)->required();
    show->add_flag("--json", o->json_out, "Compact JSON output");

    auto* edit = sub("edit", "Change a memory (the old text is kept in its history)");
    edit->add_option("id", o->id)->required();
    edit->add_option("--text", o->text, "New text");
    common(edit, true);
    edit->add_option("--importance", o->importance)->check(CLI::Range(0.0, 1.0));
    edit->add_option("--confidence", o->confidence)->check(CLI::Range(0.0, 1.0));
    edit->add_option("--expires", o->expires, "RFC 3339 time");

    auto* forget = sub("forget", "Delete a memory (a tombstone until purge)");
    forget->add_option("id", o->id)->required();
    sub("undo", "Revert the last add, edit, forget or import");
    sub("purge", "Erase deleted memories for good");
    sub("reembed", "Compute vectors for memories lacking one from the current embedder");
    auto* emb = sub("embedder", "Show or save the embedding model (local:FILE.gguf, provider:model, hash)");
    emb->add_option("model", o->set_embedder, "Model to save in $HEARTH_HOME/memory/config.json");
    emb->add_flag("--reset", o->reset_embedder, "Remove the saved setting (back to the default)");
    emb->add_flag("--json", o->json_out, "JSON output");

    auto* exm = sub("extractor", "Show or save the model that turns conversations into memories (any router model)");
    exm->add_option("model", o->set_extractor, "provider:model or an alias from the router config (saved beside the database)");
    exm->add_flag("--reset", o->reset_extractor, "Remove the setting (serve: the served model; extract: the router default)");
    exm->add_flag("--json", o->json_out, "JSON output");

    auto* pol = sub("policy", "Show or set where a scope's memories may be sent: local-only, any-provider or PROVIDER[,PROVIDER]");
    pol->add_option("scope", o->policy_scope, "A scope, PREFIX* (e.g. project:*) or *; alone: which policy applies to it");
    pol->add_option("policy", o->policy, "local-only, any-provider or a comma-separated list of router provider names");
    pol->add_flag("--unset", o->unset_policy, "Remove the saved policy of this pattern (a built-in one returns to its default)");
    pol->add_flag("--json", o->json_out, "JSON output");

    auto* exp = sub("export", "Write a memory bundle");
    exp->add_option("-o,--output", o->out, "File (default stdout)");
    exp->add_option("--scope", o->scope, "Only this scope");
    exp->add_flag("--no-deleted", o->no_deleted, "Leave out tombstones");
    exp->add_flag("--sign", o->sign, "Append an Ed25519 signature");
    exp->add_flag("--encrypt", o->encrypt, "Encrypt with a passphrase");
    exp->add_option("--passphrase-file", o->passphrase_file, "File holding the passphrase (else HEARTH_PASSPHRASE)");

    auto* imp = sub("import", "Read a bundle or another assistant's export");
    imp->add_option("file", o->in, "File, or - for stdin")->required();
    imp->add_option("--mode", o->conflict, "On id conflicts: skip (default), overwrite, keep-both");
    imp->add_option("--remap-scope", o->remap, "FROM=TO, repeatable");
    imp->add_option("--format", o->format, "auto, hearth, chatgpt, claude, mcp-jsonl, jsonl");
    imp->add_option("--passphrase-file", o->passphrase_file, "File holding the passphrase (else HEARTH_PASSPHRASE)");
    imp->add_flag("--require-signature", o->require_sig, "Refuse unsigned bundles");
    imp->add_flag("--progress", o->progress, "Report progress on stderr even when it is not a terminal");
    imp->add_flag("--json", o->json_out, "JSON output");

    auto* ext = sub("extract", "Turn imported conversations (or a JSONL chat log) into memories with a model");
    ext->add_option("--model", o->ex.model, "local:FILE.gguf or provider:model (default: `hearth memory extractor`, else the router config's default_model)");
    ext->add_option("--config", o->ex.config, "Router config (default $HEARTH_HOME/router.yaml if present)");
    ext->add_flag("--episodes", o->ex.episodes, "Every imported episode not yet extracted from");
    ext->add_option("--id", o->ex.ids, "This episode (repeatable; also when already extracted)");
    ext->add_option("--file", o->ex.file, "A JSONL chat log of {\"role\",\"content\"} lines instead of stored episodes");
    ext->add_flag("--dry-run", o->ex.dry_run, "Print the operations without applying them");
    ext->add_flag("--json", o->ex.json_out, "JSON output");

    auto* bench = sub("bench", "Retrieval benchmark: LoCoMo recall@5/10 per search mode, search latency at scale");
    bench->add_option("--data", o->data, "LoCoMo JSON (default $HEARTH_SHARED or ../shared, memory-bench/locomo10.json)");
    bench->add_option("--sizes", o->sizes, "Store sizes for the latency runs, e.g. --sizes 10000 100000")->delimiter(',');
    bench->add_option("--queries", o->queries, "Searches per mode in each latency run")->check(CLI::Range(1, 1000000));
    bench->add_option("--work-dir", o->work_dir, "Where the benchmark databases go (default: a temp dir, removed after)");
    bench->add_flag("--no-recall", o->no_recall, "Skip the recall part");
    bench->add_flag("--hash-only", o->hash_only, "Only the built-in hash embedder (ignore --embed-model and the setting)");
    bench->add_flag("--json", o->json_out, "JSON output");

    auto* stats = sub("stats", "Counts and store location");
    stats->add_flag("--json", o->json_out, "JSON output");

    return [o, which] { return run_guarded([&] { return run(*which, *o); }); };
  }};
}

}  // namespace hearth::cli
