// Reconcile: duplicates are not stored twice, a new statement of the same attribute supersedes
// the old one (kept in history, valid until then), and search answers with the current one.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <thread>

#include "helpers.h"
#include "memory/bundle.h"
#include "memory/extract.h"
#include "memory/reconcile.h"

using namespace hearth::memory;
using hearth::memory::test::TempStore;

namespace {

Remembered say(TempStore& t, const std::string& text, const std::string& scope = "user", const std::string& kind = "fact") {
  Record r;
  r.text = text;
  r.scope = scope;
  r.kind = kind;
  return remember(*t.store, r, "test");
}

}  // namespace

TEST(Reconcile, SlotsOfFirstPersonStatements) {
  struct Case {
    const char* text;
    const char* attribute;
    const char* value;
  };
  for (const Case& c : std::initializer_list<Case>{
           {"I live in Paris", "residence", "paris"},
           {"I moved to Berlin.", "residence", "berlin"},
           {"I now live in Berlin", "residence", "berlin"},
           {"I'm based in Lisbon", "residence", "lisbon"},
           {"The user lives in Oslo", "residence", "oslo"},
           {"User moved to Rome", "residence", "rome"},
           {"My home is in Vienna", "residence", "vienna"},
           {"I work at Acme", "employer", "acme"},
           {"I joined Globex", "employer", "globex"},
           {"I work as a nurse", "occupation", "nurse"},
           {"My job is teaching", "occupation", "teaching"},
           {"My name is Sam", "name", "sam"},
           {"Call me Sam", "name", "sam"},
           {"I am 34 years old", "age", "34"},
           {"My favourite colour is blue", "favourite colour", "blue"},
           {"My favorite color is green", "favourite colour", "green"},
           {"The user's phone number is 555 0100", "phone number", "555 0100"},
       }) {
    auto s = slot_of(c.text);
    ASSERT_TRUE(s) << c.text;
    EXPECT_EQ(s->attribute, c.attribute) << c.text;
    EXPECT_EQ(s->value, c.value) << c.text;
  }
  for (const char* none : {"Prefers green tea", "My sister lives in Vienna", "Anna lives in Rome", "I like cats", "",
                           "I am", "my is", "Lives in Paris"})
    EXPECT_FALSE(slot_of(none)) << none;
}

TEST(Reconcile, ParisThenBerlinAnswersBerlinWithParisInHistory) {
  TempStore t;
  const Record paris = say(t, "I live in Paris").record;
  // 30 other memories: the old fact is found across the scope, not among a few lexical hits.
  for (int i = 0; i < 30; ++i) say(t, "Note " + std::to_string(i) + " about gardening, books and living well");
  const int64_t between = now_ms();
  const Remembered berlin = say(t, "I moved to Berlin");
  ASSERT_EQ(berlin.action, Remembered::Action::superseded);
  ASSERT_EQ(berlin.superseded.size(), 1u);
  EXPECT_EQ(berlin.superseded[0].id, paris.id);
  EXPECT_EQ(berlin.record.links, (std::vector<Link>{{paris.id, "supersedes"}}));

  const Record old = *t.store->get(paris.id);
  EXPECT_FALSE(old.deleted);
  EXPECT_GT(old.expires, 0);  // valid until the move
  EXPECT_EQ(old.links.back().rel, "superseded_by");
  EXPECT_EQ(old.history.back().op, "supersede");

  SearchOptions so;
  so.query = "where do I live?";
  auto hits = t.store->search(so);
  ASSERT_FALSE(hits.empty());
  EXPECT_EQ(hits[0].record.text, "I moved to Berlin");
  EXPECT_NE(hits[0].why[0].find("replaces \"I live in Paris\""), std::string::npos) << hits[0].why[0];
  for (const auto& h : hits) EXPECT_NE(h.record.id, paris.id);
  // History and a time before the move both show Paris.
  so.include_expired = true;
  bool seen = false;
  for (const auto& h : t.store->search(so)) seen = seen || h.record.id == paris.id;
  EXPECT_TRUE(seen);
  so.include_expired = false;
  so.as_of = between;
  hits = t.store->search(so);
  ASSERT_FALSE(hits.empty());
  EXPECT_EQ(hits[0].record.id, paris.id);
  for (const auto& h : hits) EXPECT_NE(h.record.id, berlin.record.id);  // not said yet

  // The add and the supersession are one undo step.
  t.store->undo();
  EXPECT_FALSE(t.store->get(berlin.record.id));
  EXPECT_EQ(t.store->get(paris.id)->expires, 0);
}

TEST(Reconcile, DuplicatesAreNotStoredTwice) {
  TempStore t;
  const Record a = say(t, "Prefers green tea", "user", "preference").record;
  const auto again = say(t, "  prefers GREEN tea. ", "user", "preference");
  EXPECT_EQ(again.action, Remembered::Action::duplicate);
  EXPECT_EQ(again.record.id, a.id);
  EXPECT_EQ(t.store->stats().live, 1u);
  // The same fact in other words is a duplicate too.
  const Record berlin = say(t, "I live in Berlin").record;
  const auto moved = say(t, "I moved to Berlin");
  EXPECT_EQ(moved.action, Remembered::Action::duplicate);
  EXPECT_EQ(moved.record.id, berlin.id);
  EXPECT_EQ(t.store->stats().live, 2u);
  // Another scope is another owner: stored.
  EXPECT_EQ(say(t, "Prefers green tea", "agent:bot", "preference").action, Remembered::Action::added);
}

TEST(Reconcile, OnlyTheSameScopeAndAttributeIsSuperseded) {
  TempStore t;
  const Record home = say(t, "I live in Paris").record;
  EXPECT_EQ(say(t, "I live in Rome", "project:trip").action, Remembered::Action::added);  // other scope
  EXPECT_EQ(say(t, "I work at Acme").action, Remembered::Action::added);                  // other attribute
  EXPECT_EQ(say(t, "My sister lives in Vienna").action, Remembered::Action::added);       // not the user
  EXPECT_EQ(t.store->get(home.id)->expires, 0);
  // Episodes are history, never superseded or deduplicated.
  EXPECT_EQ(say(t, "I live in Berlin", "user", "episode").action, Remembered::Action::added);
  EXPECT_EQ(t.store->get(home.id)->expires, 0);
  // A chain: each new statement supersedes the current one; search follows to the newest.
  say(t, "I moved to Berlin");
  const auto third = say(t, "I now live in Madrid");
  ASSERT_EQ(third.action, Remembered::Action::superseded);
  SearchOptions so;
  so.query = "live Paris";
  so.scope = "user";
  auto hits = t.store->search(so);
  ASSERT_FALSE(hits.empty());
  EXPECT_EQ(hits[0].record.text, "I now live in Madrid");
}

// Imports take the same step: a repeat of a live memory is not stored again, a newer imported
// statement replaces the stored one, and an older one arrives already replaced (kept as history).
TEST(Reconcile, ImportsDropRepeatsAndLetTheNewerStatementWin) {
  TempStore src, dst;
  const Record blue = src.add("My favourite colour is blue");
  std::this_thread::sleep_for(std::chrono::milliseconds(3));
  const Record paris = say(dst, "I live in Paris").record;
  const Record green = say(dst, "My favourite colour is green").record;
  std::this_thread::sleep_for(std::chrono::milliseconds(3));
  src.add("I live in Paris!");  // the same words as dst's
  const Record berlin = src.add("I moved to Berlin");
  src.add("Prefers green tea", "preference");
  ImportOptions io;
  const ImportReport rep = import_bytes(*dst.store, export_bundle(*src.store, {}), io);
  EXPECT_EQ(rep.read, 4u);
  EXPECT_EQ(rep.duplicates, 1u);
  EXPECT_EQ(rep.superseded, 1u);
  EXPECT_EQ(rep.arrived_superseded, 1u);
  EXPECT_EQ(rep.added, 3u);
  const auto old_paris = dst.store->get(paris.id);
  ASSERT_TRUE(old_paris);
  EXPECT_GT(old_paris->expires, 0);
  EXPECT_TRUE(std::any_of(old_paris->links.begin(), old_paris->links.end(),
                          [&](const Link& l) { return l.to == berlin.id && l.rel == "superseded_by"; }));
  const auto old_blue = dst.store->get(blue.id);
  ASSERT_TRUE(old_blue);
  EXPECT_GT(old_blue->expires, 0);
  EXPECT_TRUE(std::any_of(old_blue->links.begin(), old_blue->links.end(),
                          [&](const Link& l) { return l.to == green.id && l.rel == "superseded_by"; }));
  EXPECT_EQ(dst.store->get(green.id)->expires, 0);
  // Live answers: Berlin and green; the repeat of Paris was not stored.
  SearchOptions so;
  so.query = "where do I live";
  so.limit = 10;
  so.min_similarity = -1;
  std::vector<std::string> texts;
  for (auto& h : dst.store->search(so)) texts.push_back(h.record.text);
  EXPECT_NE(std::find(texts.begin(), texts.end(), "I moved to Berlin"), texts.end());
  EXPECT_EQ(std::find(texts.begin(), texts.end(), "I live in Paris!"), texts.end());
  EXPECT_EQ(std::find(texts.begin(), texts.end(), "I live in Paris"), texts.end());
  // One undo step takes the whole import back, supersessions included.
  dst.store->undo();
  EXPECT_EQ(dst.store->get(paris.id)->expires, 0);
  EXPECT_FALSE(dst.store->get(berlin.id));
}

// Within one large import: repeats among the imported records are dropped, a newer value of an
// attribute supersedes an older one whichever comes first in the file, other scopes and episodes
// are left alone; progress comes in phase order and each phase ends at its total; a mapped file
// gives the same result as the bytes.
TEST(Reconcile, ALargeImportReconcilesItsOwnRecordsAndReportsProgress) {
  const int64_t t0 = parse_time("2026-01-01T00:00:00.000Z");
  std::vector<Record> recs;
  auto rec = [&](const std::string& text, int64_t minute, const std::string& scope = "user",
                 const std::string& kind = "fact") -> const Record& {
    Record r;
    r.id = new_id();
    r.text = text;
    r.kind = kind;
    r.scope = scope;
    r.created = r.updated = t0 + minute * 60000;
    r.source.time = r.created;
    recs.push_back(r);
    return recs.back();
  };
  for (int i = 0; i < 3000; ++i) rec("Note " + std::to_string(i) + " about topic w" + std::to_string(i % 97), 1);
  const std::string paris = rec("I live in Paris", 2).id;
  rec("I live in Paris!", 3);  // the same words again
  const std::string berlin = rec("I moved to Berlin", 4).id;
  const std::string blue = rec("My favourite colour is blue", 6).id;
  const std::string green = rec("My favourite colour is green", 5).id;  // older: arrives replaced
  const std::string rome = rec("I live in Rome", 7, "project:trip").id;
  rec("I live in Paris", 8, "user", "episode");  // a conversation turn, not a statement
  const std::string bytes = write_bundle(recs, nullptr);

  TempStore dst;
  std::vector<ImportProgress> events;
  ImportOptions io;
  io.on_progress = [&](const ImportProgress& p) { events.push_back(p); };
  const ImportReport rep = import_bytes(*dst.store, bytes, io);
  EXPECT_EQ(rep.read, recs.size());
  EXPECT_EQ(rep.duplicates, 1u);
  EXPECT_EQ(rep.arrived_superseded, 1u);
  EXPECT_EQ(rep.added, recs.size() - 1);
  auto linked = [&](const std::string& id, const std::string& to) {
    const auto r = dst.store->get(id);
    return r && r->expires > 0 && std::any_of(r->links.begin(), r->links.end(), [&](const Link& l) {
             return l.to == to && l.rel == "superseded_by";
           });
  };
  EXPECT_TRUE(linked(paris, berlin));
  EXPECT_TRUE(linked(green, blue));
  EXPECT_EQ(dst.store->get(berlin)->expires, 0);
  EXPECT_EQ(dst.store->get(blue)->expires, 0);
  EXPECT_EQ(dst.store->get(rome)->expires, 0);

  const std::vector<std::string> order = {"read", "reconcile", "write"};
  size_t phase = 0;
  uint64_t last = 0;
  ASSERT_FALSE(events.empty());
  for (size_t i = 0; i < events.size(); ++i) {
    const std::string p = events[i].phase;
    if (p != order[phase]) {
      EXPECT_EQ(events[i - 1].done, events[i - 1].total) << order[phase] << " ended before its total";
      ASSERT_LT(++phase, order.size()) << "unexpected phase " << p;
      ASSERT_EQ(p, order[phase]);
      last = 0;
    }
    EXPECT_GE(events[i].done, last) << p << " went backwards";
    last = events[i].done;
  }
  EXPECT_EQ(phase, 2u);
  EXPECT_EQ(events.back().done, recs.size() - 1);  // the repeat is not written
  EXPECT_GT(events.size(), 6u);  // intermediate reports, not only the ends

  const std::filesystem::path file = dst.dir / "big.jsonl";
  {
    std::ofstream f(file, std::ios::binary);
    f << bytes;
  }
  TempStore other;
  const ImportReport from_file = import_file(*other.store, file.string(), {});
  EXPECT_EQ(from_file.added, rep.added);
  EXPECT_EQ(from_file.duplicates, rep.duplicates);
  EXPECT_EQ(export_bundle(*other.store, {}), export_bundle(*dst.store, {}));
}

namespace {
// A model answering from a script; it records the prompts it was given.
struct DecidingModel : ExtractorModel {
  std::function<std::string(const std::string&)> answer;
  std::vector<std::string> prompts;
  std::string name() const override { return "judge"; }
  std::string complete(const std::string& system, const std::string& user) override {
    EXPECT_EQ(system, kReconcileSystem);
    prompts.push_back(user);
    return answer(user);
  }
};
}  // namespace

// With a model the model decides, from the candidates the rules would look at; an answer that is
// not the documented JSON, or names an id it was not shown, falls back to the rules; memories the
// model may not see stay out of its prompt but are still checked by the rules.
TEST(Reconcile, AModelDecidesWhenOneIsConfigured) {
  TempStore t;
  DecidingModel m;
  RememberOptions mo;
  mo.model = &m;
  auto with_model = [&](const std::string& text, const std::string& scope = "user") {
    Record r;
    r.text = text;
    r.scope = scope;
    return remember(*t.store, r, "test", mo);
  };
  // Nothing to compare with: added without asking.
  m.answer = [](const std::string&) { return std::string("{\"action\":\"duplicate\",\"ids\":[\"x\"]}"); };
  const Remembered first = with_model("Home is a flat in Lisbon");
  EXPECT_EQ(first.action, Remembered::Action::added);
  EXPECT_TRUE(m.prompts.empty());
  EXPECT_EQ(first.decided_by, "rules");
  // A change the rules cannot see (no first-person attribute): the model supersedes.
  m.answer = [&](const std::string& prompt) {
    EXPECT_NE(prompt.find("id=" + first.record.id + " [fact] Home is a flat in Lisbon"), std::string::npos) << prompt;
    EXPECT_NE(prompt.find("New memory: [fact] Home is now a house in Porto"), std::string::npos) << prompt;
    return "Sure! ```json\n{\"action\": \"supersede\", \"ids\": [\"" + first.record.id + "\"]}\n```";
  };
  const Remembered moved = with_model("Home is now a house in Porto");
  EXPECT_EQ(moved.action, Remembered::Action::superseded);
  EXPECT_EQ(moved.decided_by, "model:judge");
  ASSERT_EQ(moved.superseded.size(), 1u);
  EXPECT_GT(t.store->get(first.record.id)->expires, 0);
  EXPECT_EQ(reconcile_json(moved)["decided_by"], "model:judge");
  // Duplicate by the model's word.
  m.answer = [&](const std::string&) { return "{\"action\":\"duplicate\",\"ids\":[\"" + moved.record.id + "\"]}"; };
  const Remembered again = with_model("Home: a house in Porto");
  EXPECT_EQ(again.action, Remembered::Action::duplicate);
  EXPECT_EQ(again.record.id, moved.record.id);
  // Unusable answers: the rules decide, and say why.
  for (const auto& [answer, why] : std::vector<std::pair<std::string, std::string>>{
           {"I think you should add it.", "answered no JSON object"},
           {"{\"action\":\"supersede\",\"ids\":[\"m_000000000000000000000000\"]}", "named an id it was not shown"},
           {"{\"action\":\"supersede\",\"ids\":[]}", "without ids"},
           {"{\"action\":\"merge\"}", "answered action \"merge\""}}) {
    m.answer = [a = answer](const std::string&) { return a; };
    const Remembered r = with_model("Home has a garden in Porto " + why);
    EXPECT_EQ(r.action, Remembered::Action::added) << answer;
    EXPECT_EQ(r.decided_by.rfind("rules (model judge ", 0), 0u) << r.decided_by;
    EXPECT_NE(r.decided_by.find(why), std::string::npos) << r.decided_by;
  }
  m.answer = [](const std::string&) -> std::string { throw hearth::Error(hearth::Errc::network, "connection refused"); };
  EXPECT_NE(with_model("Home has two cats in Porto").decided_by.find("failed: connection refused"), std::string::npos);

  // A memory the model may not see is not in its prompt; the rules still catch its repeat and
  // its older value.
  say(t, "I live in Madrid", "private");
  mo.may_show = [](const Record& r) { return r.scope != "private"; };
  m.prompts.clear();
  m.answer = [](const std::string&) { return std::string("{\"action\":\"add\",\"ids\":[]}"); };
  EXPECT_EQ(with_model("I live in Madrid", "private").action, Remembered::Action::duplicate);
  const Remembered moved_private = with_model("I moved to Seville", "private");
  EXPECT_EQ(moved_private.action, Remembered::Action::superseded);
  for (const auto& p : m.prompts) EXPECT_EQ(p.find("Madrid"), std::string::npos) << p;
}
