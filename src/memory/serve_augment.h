// Memory for `hearth serve`: before a chat is routed, memories relevant to the latest user turns
// are added to its system prompt (any provider, local or remote), and the ids that went out are
// recorded on the request so the ledger can show which memories reached which provider.
#pragma once
#include <string>

#include "memory/store.h"
#include "router/types.h"

namespace hearth::memory {

struct AugmentOptions {
  bool default_on = false;   // used when the request has no X-Hearth-Memory / hearth_memory
  size_t max_memories = 6;
  size_t max_chars = 2000;   // of the added memory block
  size_t user_turns = 2;     // how many of the latest user messages form the search query
  SearchMode mode = SearchMode::hybrid;
  std::string scope;         // empty = every scope
  // A hit is relevant when it shares a word with the query or its cosine reaches this; recency
  // and importance alone never pull a memory into a prompt.
  double min_vector = 0.3;
};

// When `req` opts in (req.use_memory, else opts.default_on), searches the store and adds the hits
// to the system message (creating one at the front if there is none), appending their ids to
// req.memory_ids. Returns how many memories were added. A store failure is logged and the chat
// goes ahead without memories: memory must never take the chat down with it.
size_t augment_chat(Store& store, router::ChatRequest& req, const AugmentOptions& opts);

}  // namespace hearth::memory
