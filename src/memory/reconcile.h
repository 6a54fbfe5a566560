// The write step every "remember this" path shares (CLI add, HTTP POST, MCP memory_add,
// extraction's adds): before a new memory is stored, the memories it may repeat or replace are
// looked up across its whole scope, and it is added, dropped as a duplicate, or stored as the new
// version of a fact whose old version stops being valid.
//
// Without a language model the decision follows fixed rules (docs/memory.md, "Updates"):
//  - duplicate: the same words, ignoring case, spacing and punctuation, or the same attribute
//    with the same value ("I live in Berlin" / "I moved to Berlin"), in the same scope;
//  - supersede: both say the same attribute of the user ("I live in Paris" / "I moved to Berlin",
//    "my favourite colour is blue" / "... is green"): the old one's `expires` becomes now (its
//    valid-until), it links to the new one ("superseded_by") and the new one to it ("supersedes").
// Only English first-person statements ("I ...", "my ...", "the user ...") have an attribute.
//
// With a language model (RememberOptions::model) the model decides instead, from the same
// candidates: it is shown them and the new memory and answers {"action": "add" | "duplicate" |
// "supersede", "ids": [...]} (kReconcileSystem is the prompt, docs/memory.md the schema). An answer
// that is not that JSON, or names an id it was not shown, or a model that fails, falls back to the
// rules, and the result says so (`decided_by`).
#pragma once
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/json.h"
#include "memory/store.h"

namespace hearth::memory {

// What a statement says about the user, e.g. {"residence", "berlin"} or {"favourite colour", "blue"}.
struct Slot {
  std::string attribute;
  std::string value;
  bool operator==(const Slot&) const = default;
};
std::optional<Slot> slot_of(const std::string& text);

struct Remembered {
  enum class Action { added, duplicate, superseded };
  Action action = Action::added;
  Record record;                  // the stored record, or the existing one it duplicates
  std::vector<Record> superseded;  // old versions that stopped being valid
  // "rules", "model:NAME", or "rules (model NAME: why its answer was not used)".
  std::string decided_by = "rules";
};

class ExtractorModel;  // extract.h

// The system prompt of a model-decided reconcile (documented in docs/memory.md).
extern const char* const kReconcileSystem;

struct RememberOptions {
  ExtractorModel* model = nullptr;  // decides when set (and there are candidates)
  // Which candidates the model may be shown (the scope policies of its provider); unset = all.
  // Candidates it may not see are still checked by the rules (a repeat, an older value).
  std::function<bool(const Record&)> may_show;
  size_t max_shown = 20;  // candidates in the prompt, most relevant first
};
const char* action_name(Remembered::Action a);
// {"action": ..., "superseded": [ids]}: what the CLI (--json), HTTP and MCP report about an add.
json reconcile_json(const Remembered& r);  // also "decided_by"

// Adds `r` (as Store::add does) after reconciling it with the live memories of its scope. The
// add and the supersessions are one undo step. Episodes and tasks are added as they are.
Remembered remember(Store& store, Record r, const std::string& by, const RememberOptions& opts = {});

// The same step for an import, before it is written: every live record of a reconciled kind
// whose id the store does not hold yet is compared with the live memories of its scope (in the
// store, and earlier in `recs`). A repeat is dropped from `recs`; for the same attribute with
// another value the newer statement (by `created`) wins: an older store record is returned in
// `superseded` (validity ended, linked both ways, to be written with the import), an older
// imported one is kept as history (its `expires` set, linked to the newer). Records whose id is
// already stored are left to the import's conflict rules.
struct ImportReconciled {
  size_t duplicates = 0;           // dropped from recs
  size_t imported_superseded = 0;  // imported records that arrive already replaced
  std::vector<Record> superseded;  // store records replaced by imported ones
};
// on_progress(done, total) is called every few hundred records and once at the end.
ImportReconciled reconcile_import(Store& store, std::vector<Record>& recs, const std::string& by,
                                  const std::function<void(size_t, size_t)>& on_progress = {});

}  // namespace hearth::memory
