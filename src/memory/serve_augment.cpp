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
  if (!req.use_memory.value_or(opts.default_on) || opts.max_memories == 0) return {};
  std::string query = query_from(req, std::max<size_t>(1, opts.user_turns));
  if (query.empty()) return {};
  std::vector<SearchHit> hits;
  try {
    SearchOptions so;
    so.query = query;
    so.limit = opts.max_memories * 3;
    so.mode = store.embedder() ? opts.mode : SearchMode::bm25;
    so.scope = opts.scope;
    hits = store.search(so);
  } catch (const std::exception& e) {
    log::warn(std::string("memory: search for the chat failed, continuing without memories: ") + e.what());
    return {};
  }
  hits.erase(std::remove_if(hits.begin(), hits.end(),
                            [&](const SearchHit& h) { return h.bm25 <= 0 && h.vector < opts.min_vector; }),
             hits.end());
  return hits;
}

size_t add_memories(router::ChatRequest& req, const std::vector<SearchHit>& all, const AugmentOptions& opts,
                    const std::string& provider, bool remote) {
  std::vector<SearchHit> hits;
  for (const auto& h : all) {
    if (hits.size() == opts.max_memories) break;
    if (opts.policies.allows(h.record.scope, provider, remote)) hits.push_back(h);
  }
  std::string block;
  hits = fitting(std::move(hits), opts.max_chars, &block);
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
