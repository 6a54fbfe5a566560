#include "cli/memory_extract.h"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <algorithm>
#include <map>

#include "app/local_provider.h"
#include "cli/command.h"
#include "core/error.h"
#include "core/json.h"
#include "hub/model_store.h"
#include "memory/extract.h"
#include "memory/reconcile.h"
#include "memory/scope_policy.h"
#include "memory/serve_extract.h"
#include "router/config.h"
#include "router/router.h"

namespace hearth::cli {
namespace {

namespace fs = std::filesystem;
using namespace hearth::memory;

// Episodes carrying this tag were already extracted from; `--episodes` skips them.
constexpr const char* kDoneTag = "extracted";
// Turns per model call: keeps the prompt within a small model's context.
constexpr size_t kChunk = 20;

// One model call's worth of conversation, and the episodes it came from (none for --file).
struct Batch {
  std::string conversation;
  std::vector<ChatTurn> turns;
  std::vector<std::string> episode_ids;
};

// The router, plus the in-process engine in its local slot when the model is local:FILE.gguf.
struct ExtractModel {
  std::unique_ptr<router::Router> router;
  std::string ref;
};

void open_model(ExtractModel& m, const ExtractCliOptions& o) {
  router::RouterConfig cfg;
  fs::path file = o.config.empty() ? router::default_config_path() : fs::path(o.config);
  if (!o.config.empty() && !fs::exists(file)) fail(Errc::not_found, "router config " + file.string() + " does not exist");
  if (fs::exists(file)) cfg = router::load_config(file);
  m.ref = !o.model.empty() ? o.model : !o.saved_model.empty() ? o.saved_model : cfg.default_model;
  if (m.ref.empty())
    fail(Errc::invalid_argument, "memory extract: no model; pass --model local:FILE.gguf or provider:model "
                                 "(or save one with `hearth memory extractor MODEL`, or set default_model in the "
                                 "router config)");
  if (m.ref.rfind("local:", 0) == 0) {
    std::string path = hub::resolve_model_path(m.ref.substr(6));
    std::string name;
    m.router = app::router_with_local_model(std::move(cfg), path, o.load, &name);
    m.ref = "local:" + name;
    return;
  }
  m.router = std::make_unique<router::Router>(std::move(cfg));
}

// Importers store "User: ..." / "Assistant: ..." with a role:NAME tag (importers.cpp).
ChatTurn turn_of(const Record& r) {
  ChatTurn t{"user", r.text};
  for (const auto& tag : r.tags)
    if (tag.rfind("role:", 0) == 0) t.role = tag.substr(5);
  for (std::string p : {std::string("User: "), std::string("Assistant: "), t.role + ": "})
    if (t.content.rfind(p, 0) == 0) {
      t.content.erase(0, p.size());
      break;
    }
  return t;
}

bool done(const Record& r) { return std::find(r.tags.begin(), r.tags.end(), kDoneTag) != r.tags.end(); }

void chunk_into(std::vector<Batch>& out, const std::string& conv, const std::vector<Record>& recs) {
  for (size_t i = 0; i < recs.size(); i += kChunk) {
    Batch b;
    b.conversation = conv;
    for (size_t k = i; k < std::min(recs.size(), i + kChunk); ++k) {
      b.turns.push_back(turn_of(recs[k]));
      b.episode_ids.push_back(recs[k].id);
    }
    out.push_back(std::move(b));
  }
}

// --id: exactly those (even when already extracted); --episodes: every episode not yet
// extracted. Grouped by conversation, in the store's created order.
std::vector<Batch> episode_batches(Store& st, const ExtractCliOptions& o) {
  std::vector<Record> picked;
  if (!o.ids.empty()) {
    for (const auto& id : o.ids) {
      auto r = st.get(id);
      if (!r || r->deleted) fail(Errc::not_found, "memory extract: no memory with id " + id);
      if (r->kind != "episode") fail(Errc::invalid_argument, "memory extract: " + id + " is a " + r->kind + ", not an episode");
      picked.push_back(*r);
    }
  } else {
    for (auto& r : st.all_records(false))
      if (r.kind == "episode" && !done(r)) picked.push_back(std::move(r));
  }
  std::vector<std::string> order;
  std::map<std::string, std::vector<Record>> by_conv;
  for (auto& r : picked) {
    if (!by_conv.count(r.source.conversation)) order.push_back(r.source.conversation);
    by_conv[r.source.conversation].push_back(std::move(r));
  }
  std::vector<Batch> out;
  for (const auto& c : order) chunk_into(out, c, by_conv[c]);
  return out;
}

// A JSONL chat log: one {"role","content"} object a line; other roles are left out.
std::vector<Batch> file_batches(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(Errc::not_found, "cannot read " + path);
  Batch all;
  all.conversation = fs::path(path).filename().string();
  std::string line;
  for (size_t n = 1; std::getline(in, line); ++n) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    std::string where = path + ":" + std::to_string(n);
    json j;
    try {
      j = json::parse(line);
    } catch (const json::exception&) {
      fail(Errc::format, where + ": not a JSON object");
    }
    if (!j.is_object() || !j.contains("role") || !j["role"].is_string())
      fail(Errc::format, where + ": missing \"role\"");
    if (!j.contains("content") || !j["content"].is_string()) fail(Errc::format, where + ": \"content\" must be a string");
    std::string role = j["role"], content = j["content"];
    if ((role == "user" || role == "assistant") && !content.empty()) all.turns.push_back({role, content});
  }
  std::vector<Batch> out;
  for (size_t i = 0; i < all.turns.size(); i += kChunk)
    out.push_back({all.conversation, {all.turns.begin() + long(i), all.turns.begin() + long(std::min(all.turns.size(), i + kChunk))}, {}});
  return out;
}

void mark_done(Store& st, const std::vector<std::string>& ids) {
  for (const auto& id : ids) {
    auto r = st.get(id);
    if (!r || done(*r)) continue;
    RecordPatch p;
    p.tags = r->tags;
    p.tags->push_back(kDoneTag);
    st.update(id, p, "extraction");
  }
}

void print_op(const ExtractedOp& op, bool dry) {
  std::string verb = dry ? "would " + op.op : op.op == "add" ? "added" : op.op + "d";
  std::string id = op.id.empty() ? "" : " " + op.id;
  std::string kind = op.kind.empty() ? "" : " [" + op.kind + "]";
  std::string text = op.text.empty() ? "" : ": " + op.text;
  std::printf("%s%s%s%s\n", verb.c_str(), id.c_str(), kind.c_str(), text.c_str());
}

}  // namespace

int run_memory_extract(Store& st, const ExtractCliOptions& o) {
  if (o.file.empty() == !(o.episodes || !o.ids.empty()))
    fail(Errc::invalid_argument, "memory extract: give --episodes / --id ID, or --file CHAT.jsonl (one of them)");
  // Input first: a bad id or file is refused before a model is loaded.
  auto batches = o.file.empty() ? episode_batches(st, o) : file_batches(o.file);
  json out = {{"dry_run", o.dry_run}, {"batches", json::array()}, {"added", 0}, {"updated", 0}, {"deleted", 0}, {"ignored", 0}};
  if (batches.empty()) {
    if (o.json_out) std::printf("%s\n", out.dump().c_str());
    else std::printf("nothing to extract from (%s)\n", o.file.empty() ? "every episode was already extracted" : "no user or assistant turns");
    return kExitOk;
  }
  ExtractModel m;
  open_model(m, o);
  ProviderModel model(*m.router, m.ref);
  out["model"] = m.ref;
  size_t totals[4] = {0, 0, 0, 0};
  for (const auto& b : batches) {
    ExtractOptions eo;
    eo.conversation_id = b.conversation;
    eo.dry_run = o.dry_run;
    eo.also = [&] { mark_done(st, b.episode_ids); };
    ExtractionReport rep;
    try {
      rep = extract(st, model, b.turns, eo);
    } catch (const Error& e) {
      fail(e.code(), "memory extract: conversation \"" + b.conversation + "\" with " + m.ref + ": " + e.what() +
                         " (nothing was changed for it)");
    }
    totals[0] += rep.added, totals[1] += rep.updated, totals[2] += rep.deleted, totals[3] += rep.ignored;
    json ops = json::array();
    for (const auto& op : rep.ops) {
      ops.push_back({{"op", op.op}, {"id", op.id}, {"kind", op.kind}, {"text", op.text}});
      if (!o.json_out) print_op(op, o.dry_run);
    }
    out["batches"].push_back({{"conversation", b.conversation}, {"episodes", b.episode_ids}, {"turns", b.turns.size()},
                              {"operations", ops}, {"ignored", rep.ignored}});
    std::fflush(stdout);
  }
  out["added"] = totals[0], out["updated"] = totals[1], out["deleted"] = totals[2], out["ignored"] = totals[3];
  if (o.json_out) {
    std::printf("%s\n", out.dump().c_str());
  } else {
    std::printf("%zu conversation part%s: %zu added, %zu updated, %zu deleted, %zu ignored%s\n", batches.size(),
                batches.size() == 1 ? "" : "s", totals[0], totals[1], totals[2], totals[3],
                o.dry_run ? " (dry run: nothing changed)" : "");
  }
  return kExitOk;
}

RememberOptions MemoryDecider::options() const {
  RememberOptions ro;
  ro.model = model.get();
  ro.may_show = may_show;
  return ro;
}

std::unique_ptr<MemoryDecider> open_memory_decider(const std::string& model, const std::string& saved_model,
                                                   const std::string& config, const model::LoadOptions& load,
                                                   const fs::path& policy_config) {
  if (model.empty() && saved_model.empty()) return nullptr;
  ExtractCliOptions eo;
  eo.model = model;
  eo.saved_model = saved_model;
  eo.config = config;
  eo.load = load;
  ExtractModel m;
  open_model(m, eo);
  auto d = std::make_unique<MemoryDecider>();
  d->model = std::make_unique<ProviderModel>(*m.router, m.ref);
  // The model sees only what its provider's scope policies allow (a remote one: no private or
  // project memories by default); the rules check the rest.
  const router::Target target = m.router->first_target(m.ref);
  const ScopePolicies policies = load_scope_policies(policy_config);
  d->may_show = [policies, provider = target.entry.provider, remote = target.remote](const Record& r) {
    return policies.allows(r.scope, provider, remote);
  };
  d->router = std::move(m.router);
  return d;
}

int run_memory_add(Store& st, const Record& record, const std::string& by, const AddCliOptions& o) {
  const auto decider = o.rules ? nullptr : open_memory_decider(o.model, o.saved_model, o.config, o.load, o.policy_config);
  const RememberOptions ro = decider ? decider->options() : RememberOptions{};
  const Remembered rem = remember(st, record, by, ro);
  if (o.json_out) {
    json j = to_json(rem.record);
    j["reconcile"] = reconcile_json(rem);
    std::printf("%s\n", j.dump().c_str());
  } else {
    std::printf("%s\n", rem.record.id.c_str());
    // Notes on stderr: stdout stays the id, for scripts.
    if (rem.action == Remembered::Action::duplicate)
      std::fprintf(stderr, "already remembered as %s: %s\n", rem.record.id.c_str(), rem.record.text.c_str());
    for (const auto& s : rem.superseded)
      std::fprintf(stderr, "supersedes %s: %s (kept in history: memory search --history)\n", s.id.c_str(), s.text.c_str());
    if (ro.model) std::fprintf(stderr, "decided by %s\n", rem.decided_by.c_str());
  }
  std::fflush(stdout);
  return kExitOk;
}

}  // namespace hearth::cli
