// Extraction: a model reads a conversation plus the relevant existing memories and proposes
// operations (add, update, delete, none), which are applied with history kept. Contradictions
// are resolved by the model proposing an update; the newest user statement wins and the old
// text stays in the record's history.
#pragma once
#include <functional>
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

// One operation the model proposed and extract() accepted (id is empty for a dry-run add).
struct ExtractedOp {
  std::string op, id, kind, text;  // op: add, update or delete
};

struct ExtractionReport {
  size_t added = 0, updated = 0, deleted = 0, ignored = 0;
  std::vector<std::string> touched;
  std::vector<ExtractedOp> ops;
};

struct ExtractOptions {
  std::string scope = "user", conversation_id;
  bool dry_run = false;  // report the operations without changing the store
  // Runs inside the same undo step after the operations are applied (not on a dry run), so
  // e.g. marking the source conversation as processed is undone together with them.
  std::function<void()> also;
  // Which existing memories the model may be shown (to update or avoid repeating them); unset =
  // all. `serve` passes the scope policies for the extraction model's provider.
  std::function<bool(const Record&)> may_show;
};

// Applies the model's operations as one undo step. Malformed model output throws Errc::format;
// operations naming ids that were not shown to the model are ignored (counted in `ignored`).
ExtractionReport extract(Store& store, ExtractorModel& model, const std::vector<ChatTurn>& conversation,
                         const std::string& scope = "user", const std::string& conversation_id = {});
ExtractionReport extract(Store& store, ExtractorModel& model, const std::vector<ChatTurn>& conversation,
                         const ExtractOptions& opts);

}  // namespace hearth::memory
