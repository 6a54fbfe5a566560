#include "memory/serve_augment.h"

#include <algorithm>
#include <cstdint>
#include <memory>

#include "core/error.h"
#include "core/log.h"

namespace hearth::memory {

namespace {

std::string query_from(const router::ChatRequest& req, size_t turns) {
  std::vector<const std::string*> picked;
  for (auto it = req.messages.rbegin(); it != req.messages.rend() && picked.size() < turns; ++it)
    if (it->role == router::Role::user && !it->content.empty()) picked.push_back(&it->content);
  std::string q;
  for (auto it = picked.rbegin(); it != picked.rend(); ++it) q += (q.empty() ? "" : "\n") + **it;
  return q;
}

// format_for_prompt stops at max_chars; keep exactly the hits that made it into the text so
// memory_ids never names a memory the provider did not see.
std::vector<SearchHit> fitting(std::vector<SearchHit> hits, size_t max_chars, std::string* block) {
  std::vector<SearchHit> kept;
  for (auto& h : hits) {
    kept.push_back(std::move(h));
    std::string text = format_for_prompt(kept, max_chars);
    if (text != format_for_prompt(kept, SIZE_MAX)) {
      kept.pop_back();
      break;
    }
    *block = std::move(text);
  }
  return kept;
}

}  // namespace

std::vector<SearchHit> find_memories(Store& store, const router::ChatRequest& req, const AugmentOptions& opts) {
  if (!req.use_memory.value_or(opts.default_on)) return {};
  std::vector<SearchHit> hits;
  try {
    if (opts.core_max_chars > 0) {
      ListOptions lo;
      lo.kind = "core";
      lo.scope = opts.scope;
      lo.limit = 200;
      const int64_t now = now_ms();
      for (auto& r : store.list(lo)) {
        if (r.expires != 0 && r.expires <= now) continue;
        SearchHit h;
        h.record = std::move(r);
        h.why.push_back("core memory");
        hits.push_back(std::move(h));
      }
    }
    const std::string query = query_from(req, std::max<size_t>(1, opts.user_turns));
    if (!query.empty() && opts.max_memories > 0) {
      SearchOptions so;
      so.query = query;
      so.limit = opts.max_memories * 3;
      so.mode = store.embedder() ? opts.mode : SearchMode::bm25;
      so.scope = opts.scope;
      so.min_similarity = opts.min_similarity;
      for (auto& h : store.search(so))
        if (h.record.kind != "core") hits.push_back(std::move(h));
    }
  } catch (const std::exception& e) {
    log::warn(std::string("memory: search for the chat failed, continuing without memories: ") + e.what());
    return {};
  }
  return hits;
}

size_t add_memories(router::ChatRequest& req, const std::vector<SearchHit>& all, const AugmentOptions& opts,
                    const std::string& provider, bool remote) {
  std::vector<SearchHit> hits;
  size_t core_chars = 0, retrieved = 0;
  for (const auto& h : all) {
    if (!opts.policies.allows(h.record.scope, provider, remote)) continue;
    if (h.record.kind == "core") {
      const size_t line = prompt_line(h.record).size();
      if (core_chars + line > opts.core_max_chars) continue;  // a shorter, older one may still fit
      core_chars += line;
    } else if (retrieved++ == opts.max_memories) {
      break;
    }
    hits.push_back(h);
  }
  std::string block;
  hits = fitting(std::move(hits), core_chars + opts.max_chars, &block);
  if (hits.empty()) return 0;
  if (!req.messages.empty() && req.messages.front().role == router::Role::system) {
    auto& sys = req.messages.front().content;
    sys += sys.empty() ? block : "\n\n" + block;
  } else {
    router::Message m;
    m.role = router::Role::system;
    m.content = block;
    req.messages.insert(req.messages.begin(), std::move(m));
  }
  for (const auto& h : hits)
    if (std::find(req.memory_ids.begin(), req.memory_ids.end(), h.record.id) == req.memory_ids.end())
      req.memory_ids.push_back(h.record.id);
  return hits.size();
}

size_t prepare_memories(Store& store, router::ChatRequest& req, const AugmentOptions& opts) {
  auto hits = std::make_shared<const std::vector<SearchHit>>(find_memories(store, req, opts));
  if (hits->empty()) return 0;
  req.for_target = [hits, opts](router::ChatRequest& sent, const std::string& provider, bool remote) {
    add_memories(sent, *hits, opts, provider, remote);
  };
  return hits->size();
}

size_t augment_chat(Store& store, router::ChatRequest& req, const AugmentOptions& opts) {
  return add_memories(req, find_memories(store, req, opts), opts, "", false);
}

}  // namespace hearth::memory
