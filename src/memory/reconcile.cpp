#include "memory/reconcile.h"

#include <algorithm>
#include <cctype>
#include <unordered_map>

#include "memory/extract.h"

namespace hearth::memory {

namespace {

std::vector<std::string> tokens(const std::string& text) {
  std::vector<std::string> out;
  std::string cur;
  for (char ch : text) {
    const unsigned char c = static_cast<unsigned char>(ch);
    if (std::isalnum(c) || c == '\'' || c >= 0x80) {
      cur += static_cast<char>(std::tolower(c));
    } else if (!cur.empty()) {
      out.push_back(std::move(cur));
      cur.clear();
    }
  }
  if (!cur.empty()) out.push_back(std::move(cur));
  for (auto& t : out) {  // "I'm" -> "i'm" stays; curly quotes are not letters
    while (!t.empty() && t.back() == '\'') t.pop_back();
    while (!t.empty() && t.front() == '\'') t.erase(t.begin());
  }
  std::erase_if(out, [](const std::string& t) { return t.empty(); });
  return out;
}

std::string join(const std::vector<std::string>& t, size_t from, size_t to) {
  std::string out;
  for (size_t i = from; i < to && i < t.size(); ++i) out += (out.empty() ? "" : " ") + t[i];
  return out;
}

bool is(const std::vector<std::string>& t, size_t i, std::initializer_list<const char*> words) {
  if (i >= t.size()) return false;
  for (const char* w : words)
    if (t[i] == w) return true;
  return false;
}

// The value after the pattern, without a leading article or trailing "now".
std::optional<Slot> slot(const std::string& attribute, const std::vector<std::string>& t, size_t from) {
  size_t end = t.size();
  while (end > from && is(t, end - 1, {"now", "currently", "anymore", "today"})) --end;
  if (is(t, from, {"the", "a", "an"})) ++from;
  if (from >= end) return std::nullopt;
  return Slot{attribute, join(t, from, end)};
}

// After a first-person subject ("i", "the user", "user"), at token i.
std::optional<Slot> first_person(const std::vector<std::string>& t, size_t i) {
  if (is(t, i, {"now", "currently", "still", "recently", "just", "have", "has"})) ++i;
  if (is(t, i, {"now", "recently", "just"})) ++i;
  if (is(t, i, {"live", "lives", "living"}) && is(t, i + 1, {"in"})) return slot("residence", t, i + 2);
  if (is(t, i, {"moved", "move", "relocated"}) && is(t, i + 1, {"to"})) return slot("residence", t, i + 2);
  if (is(t, i, {"reside", "resides"}) && is(t, i + 1, {"in"})) return slot("residence", t, i + 2);
  if (is(t, i, {"work", "works", "working"}) && is(t, i + 1, {"at", "for"})) return slot("employer", t, i + 2);
  if (is(t, i, {"work", "works", "working"}) && is(t, i + 1, {"as"})) return slot("occupation", t, i + 2);
  if (is(t, i, {"joined"})) return slot("employer", t, i + 1);
  if (is(t, i, {"am", "is", "i'm"})) {
    size_t j = i + 1;
    if (is(t, j, {"now", "currently"})) ++j;
    if (is(t, j, {"based", "living"}) && is(t, j + 1, {"in"})) return slot("residence", t, j + 2);
    if (is(t, j, {"employed"}) && is(t, j + 1, {"at", "by"})) return slot("employer", t, j + 2);
    if (is(t, j, {"called", "named"})) return slot("name", t, j + 1);
    if (j < t.size() && std::all_of(t[j].begin(), t[j].end(), ::isdigit) &&
        (j + 1 == t.size() || (is(t, j + 1, {"years"}) && is(t, j + 2, {"old"}))))
      return Slot{"age", t[j]};
  }
  return std::nullopt;
}

}  // namespace

std::optional<Slot> slot_of(const std::string& text) {
  const auto t = tokens(text);
  if (t.empty()) return std::nullopt;
  if (t[0] == "i") return first_person(t, 1);
  if (t[0] == "i'm") return first_person(t, 0);  // its am-branch reads "i'm" as "am"
  if (t[0] == "call" && is(t, 1, {"me"})) return slot("name", t, 2);
  size_t i = 0;
  bool possessive = false;
  if (t[0] == "my") {
    possessive = true;
    i = 1;
  } else if (t[0] == "user's" || t[0] == "users") {
    possessive = true;
    i = 1;
  } else if (t[0] == "the" && is(t, 1, {"user's", "users"})) {
    possessive = true;
    i = 2;
  } else if (t[0] == "user") {
    return first_person(t, 1);
  } else if (t[0] == "the" && is(t, 1, {"user"})) {
    return first_person(t, 2);
  }
  if (!possessive) return std::nullopt;
  // "my X is Y": X of at most 4 words names the attribute.
  for (size_t j = i + 1; j < t.size() && j <= i + 4; ++j)
    if (is(t, j, {"is", "are"})) {
      std::string attr = join(t, i, j);
      if (attr == "home" || attr == "home town" || attr == "address") attr = "residence";
      if (attr == "job" || attr == "profession") attr = "occupation";
      if (attr == "favorite color" || attr == "favourite colour" || attr == "favorite colour" || attr == "favourite color")
        attr = "favourite colour";
      size_t v = j + 1;
      if (attr == "residence" && is(t, v, {"in"})) ++v;
      return slot(attr, t, v);
    }
  return std::nullopt;
}

const char* action_name(Remembered::Action a) {
  switch (a) {
    case Remembered::Action::added: return "added";
    case Remembered::Action::duplicate: return "duplicate";
    case Remembered::Action::superseded: return "superseded";
  }
  return "added";
}

json reconcile_json(const Remembered& r) {
  json old = json::array();
  for (const auto& s : r.superseded) old.push_back(s.id);
  return {{"action", action_name(r.action)}, {"superseded", std::move(old)}, {"decided_by", r.decided_by}};
}

namespace {

std::string normalized(const std::string& text) { return join(tokens(text), 0, SIZE_MAX); }

// Conversation turns and tasks are not statements of a fact; knowledge-graph records follow the
// graph's own rules (graph.h: exact observations, never merged into other memories).
bool reconciled(const Record& r) {
  return r.kind != "episode" && r.kind != "task" && r.kind != "entity" && r.kind != "relation" && r.entity.empty();
}

// The live memories of the scope that may repeat or replace `text`: every one sharing a keyword
// with it (BM25 over the whole scope, generous limit), plus its nearest by vector. A statement
// without an attribute can only repeat one with the same words, which ranks first by BM25, so a
// short list serves it (importing 20k memories into a store of 20k took 193 s with 200 each).
std::vector<Record> candidates(Store& store, const Record& r, const std::optional<Slot>& slot) {
  std::vector<Record> out;
  auto take = [&](SearchOptions so) {
    so.scope = r.scope;
    so.limit = slot ? 200 : 25;
    so.min_similarity = -1;
    for (auto& h : store.search(so))
      if (reconciled(h.record) &&
          std::none_of(out.begin(), out.end(), [&](const Record& x) { return x.id == h.record.id; }))
        out.push_back(std::move(h.record));
  };
  SearchOptions lex;
  lex.query = r.text;
  lex.mode = SearchMode::bm25;
  // A slot's other statements may share no word with this one ("moved to" / "live in"): ask
  // for every verb of the attribute too.
  if (slot)
    lex.query += slot->attribute == "residence" ? " live lives living moved relocated reside based home"
                 : slot->attribute == "employer" ? " work works working joined employed employer"
                 : slot->attribute == "name"     ? " name called named call"
                                                 : " " + slot->attribute;
  take(lex);
  if (store.embedder()) {
    SearchOptions vec;
    vec.query = r.text;
    vec.mode = SearchMode::vector;
    vec.limit = 20;
    take(vec);
  }
  return out;
}

bool live_at(const Record& r, int64_t now) { return r.expires == 0 || r.expires > now; }

// How a new statement relates to an existing memory: the same words or the same fact again
// (repeat), the same attribute of the user with another value, or neither.
struct Statement {
  enum class Relation { none, repeat, same_attribute };
  std::string norm;
  std::optional<Slot> slot;
  explicit Statement(const std::string& text) : norm(normalized(text)), slot(slot_of(text)) {}
  Relation relation_to(const Record& c) const {
    const auto cs = slot ? slot_of(c.text) : std::nullopt;
    if (normalized(c.text) == norm || (cs && *cs == *slot)) return Relation::repeat;
    if (cs && cs->attribute == slot->attribute) return Relation::same_attribute;
    return Relation::none;
  }
};

// `older` stops being valid at `at`, replaced by the record `newer_id` (kept, with a history entry).
void end_validity(Record& older, const std::string& newer_id, int64_t at, const std::string& by) {
  older.expires = at;
  older.updated = std::max(at, older.updated + 1);
  older.links.push_back({newer_id, "superseded_by"});
  older.history.push_back({older.updated, "supersede", older.text, by});
}

// `newer` replaces `older` (same attribute of the user, another value) from `at` on.
void supersede(Record& older, Record& newer, int64_t at, const std::string& by) {
  end_validity(older, newer.id, at, by);
  newer.links.push_back({older.id, "supersedes"});
}

}  // namespace

ImportReconciled reconcile_import(Store& store, std::vector<Record>& recs, const std::string& by,
                                  const std::function<void(size_t, size_t)>& on_progress) {
  ImportReconciled out;
  const int64_t now = now_ms();
  std::vector<Record> kept;
  kept.reserve(recs.size());
  // Earlier records of this import, indexed by what makes them comparable (same scope, and the
  // same normalised words or the same attribute): comparing each record with every earlier one
  // made a 20k-record import take minutes.
  struct Earlier {
    size_t index;
    std::optional<Slot> slot;
  };
  std::unordered_map<std::string, std::vector<size_t>> by_words;     // scope \0 normalised text
  std::unordered_map<std::string, std::vector<Earlier>> by_attribute;  // scope \0 attribute
  auto remember = [&](size_t index, const Statement& st) {
    const Record& p = kept[index];
    by_words[p.scope + '\0' + st.norm].push_back(index);
    if (st.slot) by_attribute[p.scope + '\0' + st.slot->attribute].push_back({index, st.slot});
  };
  for (size_t done = 0; done < recs.size(); ++done) {
    if (on_progress && (done % 256 == 0)) on_progress(done, recs.size());
    Record& r = recs[done];
    if (!reconciled(r)) {
      kept.push_back(std::move(r));
      continue;
    }
    const Statement st(r.text);
    if (!live_at(r, now) || r.text.size() > store.max_memory_bytes() || store.get(r.id)) {
      kept.push_back(std::move(r));
      remember(kept.size() - 1, st);
      continue;
    }
    using Rel = Statement::Relation;
    // Earlier in this import first, then the store.
    const std::vector<size_t>* same_words = nullptr;
    if (auto it = by_words.find(r.scope + '\0' + st.norm); it != by_words.end()) same_words = &it->second;
    std::vector<Earlier>* same_attribute = nullptr;
    if (st.slot)
      if (auto it = by_attribute.find(r.scope + '\0' + st.slot->attribute); it != by_attribute.end())
        same_attribute = &it->second;
    bool dup = false;
    if (same_words)
      for (size_t i : *same_words) dup = dup || live_at(kept[i], now);
    if (same_attribute)
      for (const auto& e : *same_attribute) dup = dup || (live_at(kept[e.index], now) && *e.slot == *st.slot);
    std::vector<Record> stored;
    if (!dup)
      for (auto& c : candidates(store, r, st.slot)) {
        const Rel rel = st.relation_to(c);
        if (rel == Rel::repeat) {
          dup = true;
          break;
        }
        if (rel == Rel::same_attribute) stored.push_back(std::move(c));
      }
    if (dup) {
      ++out.duplicates;
      continue;
    }
    if (same_attribute)
      for (const auto& e : *same_attribute) {
        Record& p = kept[e.index];
        if (!live_at(p, now)) continue;
        if (p.created <= r.created) {
          supersede(p, r, std::max(r.created, p.created + 1), by);
        } else {
          supersede(r, p, std::max(p.created, r.created + 1), by);
          ++out.imported_superseded;
        }
      }
    for (auto& o : stored) {
      if (!live_at(r, now)) break;  // already replaced by a newer record of this import
      if (o.created <= r.created) {
        supersede(o, r, std::max(now, o.created), by);
        out.superseded.push_back(std::move(o));
      } else {
        supersede(r, o, std::max(o.created, r.created + 1), by);
        ++out.imported_superseded;
      }
    }
    kept.push_back(std::move(r));
    remember(kept.size() - 1, st);
  }
  if (on_progress) on_progress(recs.size(), recs.size());
  recs = std::move(kept);
  return out;
}

const char* const kReconcileSystem =
    "You keep a user's long-term memory free of repeats and contradictions. A new memory is about to "
    "be stored; existing memories that may overlap it are listed with their ids. Reply with JSON only, "
    "exactly {\"action\": \"add\" | \"duplicate\" | \"supersede\", \"ids\": [existing ids]}.\n"
    "duplicate: one existing memory already says everything the new one says; ids = [its id].\n"
    "supersede: the new memory is a newer value of something existing memories state (the user "
    "moved, changed job, changed their mind); ids = those memories, which are kept as history.\n"
    "add: anything else, including related but compatible facts; ids = [].";

namespace {

// The model's decision, or why there is none (then the rules decide).
struct ModelDecision {
  std::optional<Remembered::Action> action;
  std::vector<std::string> ids;
  std::string why_not;
};

ModelDecision ask_model(ExtractorModel& model, const Record& r, const std::vector<Record>& shown) {
  std::string prompt = "Existing memories:\n";
  for (const auto& c : shown) prompt += "- id=" + c.id + " [" + c.kind + "] " + c.text + "\n";
  prompt += "\nNew memory: [" + r.kind + "] " + r.text + "\n";
  ModelDecision d;
  std::string reply;
  try {
    reply = model.complete(kReconcileSystem, prompt);
  } catch (const std::exception& e) {
    d.why_not = std::string("failed: ") + e.what();
    return d;
  }
  const size_t a = reply.find('{'), b = reply.rfind('}');
  json j;
  try {
    if (a == std::string::npos || b == std::string::npos || b < a) throw std::runtime_error("no JSON object");
    j = json::parse(reply.substr(a, b - a + 1));
  } catch (const std::exception&) {
    d.why_not = "answered no JSON object";
    return d;
  }
  const std::string action = j.is_object() && j.contains("action") && j["action"].is_string() ? j["action"].get<std::string>() : "";
  if (j.is_object() && j.contains("ids") && j["ids"].is_array())
    for (const auto& id : j["ids"]) {
      if (!id.is_string() || std::none_of(shown.begin(), shown.end(), [&](const Record& c) { return c.id == id; })) {
        d.why_not = "named an id it was not shown: " + id.dump();
        return d;
      }
      if (std::find(d.ids.begin(), d.ids.end(), id.get<std::string>()) == d.ids.end()) d.ids.push_back(id.get<std::string>());
    }
  if (action == "add") d.action = Remembered::Action::added;
  else if (action == "duplicate" && !d.ids.empty()) d.action = Remembered::Action::duplicate;
  else if (action == "supersede" && !d.ids.empty()) d.action = Remembered::Action::superseded;
  else d.why_not = "answered action " + (action.empty() ? std::string("(none)") : "\"" + action + "\"") +
                   (action == "duplicate" || action == "supersede" ? " without ids" : "");
  if (d.why_not.empty() && *d.action == Remembered::Action::added) d.ids.clear();
  return d;
}

// Stores `r`, ending the validity of `old` (which it replaces), as one undo step.
void store_superseding(Store& store, Record& r, std::vector<Record> old, const std::string& by, Remembered& out) {
  store.batch([&] {
    if (r.id.empty()) r.id = new_id();
    for (const auto& o : old) r.links.push_back({o.id, "supersedes"});
    out.record = store.add(r, by);
    const int64_t now = std::max(now_ms(), out.record.created);
    for (auto o : old) {
      end_validity(o, out.record.id, now, by);
      store.put(o);
      out.superseded.push_back(std::move(o));
    }
  });
  if (!out.superseded.empty()) out.action = Remembered::Action::superseded;
}

}  // namespace

Remembered remember(Store& store, Record r, const std::string& by, const RememberOptions& opts) {
  Remembered out;
  // Episodes and tasks are not facts to reconcile; an oversized text is refused by add itself.
  if (!reconciled(r) || r.text.size() > store.max_memory_bytes()) {
    out.record = store.add(std::move(r), by);
    return out;
  }
  const Statement st(r.text);
  // Looked up before the write transaction: a search may embed and store vectors of its own.
  std::vector<Record> cands = candidates(store, r, st.slot);
  if (opts.model) {
    // The model sees what it may; the rest (hidden by a scope policy, or past max_shown) is
    // still checked by the rules, so a memory the model may not see is never contradicted.
    std::vector<Record> shown, hidden_old;
    for (const auto& c : cands) {
      if (shown.size() < opts.max_shown && (!opts.may_show || opts.may_show(c))) {
        shown.push_back(c);
        continue;
      }
      const Statement::Relation rel = st.relation_to(c);
      if (rel == Statement::Relation::repeat) {
        out.action = Remembered::Action::duplicate;
        out.record = c;
        return out;
      }
      if (rel == Statement::Relation::same_attribute) hidden_old.push_back(c);  // copied: the rules below may need it
    }
    if (!shown.empty()) {
      const ModelDecision d = ask_model(*opts.model, r, shown);
      if (d.action) {
        out.decided_by = "model:" + opts.model->name();
        auto pick = [&] {
          std::vector<Record> picked;
          for (const auto& id : d.ids)
            for (const auto& c : shown)
              if (c.id == id) picked.push_back(c);
          return picked;
        };
        if (*d.action == Remembered::Action::duplicate) {
          out.action = Remembered::Action::duplicate;
          out.record = pick().front();
          return out;
        }
        std::vector<Record> old = *d.action == Remembered::Action::superseded ? pick() : std::vector<Record>{};
        old.insert(old.end(), hidden_old.begin(), hidden_old.end());
        store_superseding(store, r, std::move(old), by, out);
        return out;
      }
      out.decided_by = "rules (model " + opts.model->name() + " " + d.why_not + ")";
    }
  }
  std::vector<Record> old;
  for (auto& c : cands) {
    const Statement::Relation rel = st.relation_to(c);
    if (rel == Statement::Relation::repeat) {  // same words, or the same fact again
      out.action = Remembered::Action::duplicate;
      out.record = std::move(c);
      return out;
    }
    if (rel == Statement::Relation::same_attribute) old.push_back(std::move(c));
  }
  store_superseding(store, r, std::move(old), by, out);
  return out;
}

}  // namespace hearth::memory
