// Extraction: a model reads a conversation plus the relevant existing memories and proposes
// operations (add, update, delete, none), which are applied with history kept. Contradictions
// are resolved by the model proposing an update; the newest user statement wins and the old
// text stays in the record's history.
#pragma once
#include <string>
#include <vector>

#include "memory/store.h"

namespace hearth::memory {

class ExtractorModel {
 public:
  virtual ~ExtractorModel() = default;
  virtual std::string name() const = 0;
  virtual std::string complete(const std::string& system, const std::string& user) = 0;
};

// Any OpenAI-compatible POST {base_url}/v1/chat/completions endpoint.
class HttpChatModel : public ExtractorModel {
 public:
  HttpChatModel(std::string base_url, std::string model, std::string api_key = {});
  std::string name() const override { return model_; }
  std::string complete(const std::string& system, const std::string& user) override;

 private:
  std::string base_url_, model_, api_key_;
};

struct ChatTurn {
  std::string role, content;
};

struct ExtractionReport {
  size_t added = 0, updated = 0, deleted = 0, ignored = 0;
  std::vector<std::string> touched;
};

// Applies the model's operations as one undo step. Malformed model output throws Errc::format;
// operations naming ids that were not shown to the model are ignored (counted in `ignored`).
ExtractionReport extract(Store& store, ExtractorModel& model, const std::vector<ChatTurn>& conversation,
                         const std::string& scope = "user", const std::string& conversation_id = {});

}  // namespace hearth::memory
