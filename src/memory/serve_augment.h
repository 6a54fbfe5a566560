// Memory for `hearth serve`: before a chat is routed, the memories relevant to the latest user
// turns are found once; each provider the router then tries gets those its scope policies allow
// (scope_policy.h) in its system prompt, and the ids that went out are recorded on the request it
// is sent, so the ledger shows which memories reached which provider.
#pragma once
#include <string>
#include <vector>

#include "memory/scope_policy.h"
#include "memory/store.h"
#include "router/types.h"

namespace hearth::memory {

struct AugmentOptions {
  bool default_on = false;   // used when the request has no X-Hearth-Memory / hearth_memory
  size_t max_memories = 6;
  size_t max_chars = 2000;   // of the retrieved memories in the added block
  // Core memories (kind "core": who the user is, standing preferences and instructions) go into
  // every opted-in chat ahead of the retrieved ones, newest first, within this many characters.
  size_t core_max_chars = 1200;
  size_t user_turns = 2;     // how many of the latest user messages form the search query
  SearchMode mode = SearchMode::hybrid;
  std::string scope;         // empty = every scope
  // A hit is relevant when it shares a word with the query or its cosine reaches this; recency
  // and importance alone never pull a memory into a prompt (SearchOptions::min_similarity).
  double min_similarity = kDefaultMinSimilarity;
  ScopePolicies policies;    // which memories may go to which provider
};

// The memories for `req` when it opts in (req.use_memory, else opts.default_on): its scope's core
// memories, then the ones relevant to the latest user turns, best first; more than max_memories,
// so that a provider some are withheld from still gets enough.
// A store failure is logged and gives none: memory must never take the chat down with it.
std::vector<SearchHit> find_memories(Store& store, const router::ChatRequest& req, const AugmentOptions& opts);

// Adds to `req`'s system message (creating one at the front if there is none) the memories of
// `hits` that opts.policies let go to `provider` (remote: the provider's remote flag): the core
// ones within core_max_chars, then the first max_memories others within max_chars; appends their
// ids to req.memory_ids. Returns how many.
size_t add_memories(router::ChatRequest& req, const std::vector<SearchHit>& hits, const AugmentOptions& opts,
                    const std::string& provider, bool remote);

// find_memories, then sets req.for_target so that every provider the router tries gets
// add_memories for itself. Returns how many memories were found.
size_t prepare_memories(Store& store, router::ChatRequest& req, const AugmentOptions& opts);

// find_memories + add_memories for a model on this machine (no policy withholds anything).
size_t augment_chat(Store& store, router::ChatRequest& req, const AugmentOptions& opts);

}  // namespace hearth::memory
