#include "memory/serve_extract.h"

#include <algorithm>

namespace hearth::memory {

std::string ProviderModel::complete(const std::string& system, const std::string& user) {
  router::ChatRequest req;
  req.model = model_;
  req.messages.push_back({router::Role::system, system});
  req.messages.push_back({router::Role::user, user});
  req.temperature = 0;
  req.use_memory = false;  // the extractor's own prompt must not be augmented or extracted from
  return provider_.chat(req).message.content;
}

ExtractionReport extract_after(Store& store, ExtractorModel& model, const router::ChatRequest& req,
                               const router::ChatResponse& resp, const ExtractAfterOptions& opts) {
  if (!req.use_memory.value_or(opts.default_on) || opts.max_turns == 0) return {};
  std::vector<ChatTurn> turns;
  for (const auto& m : req.messages)
    if ((m.role == router::Role::user || m.role == router::Role::assistant) && !m.content.empty())
      turns.push_back({router::role_name(m.role), m.content});
  if (!resp.message.content.empty()) turns.push_back({"assistant", resp.message.content});
  if (turns.size() > opts.max_turns) turns.erase(turns.begin(), turns.end() - long(opts.max_turns));
  bool has_user = std::any_of(turns.begin(), turns.end(), [](const ChatTurn& t) { return t.role == "user"; });
  if (!has_user) return {};
  return extract(store, model, turns, opts.scope, req.request_id);
}

}  // namespace hearth::memory
