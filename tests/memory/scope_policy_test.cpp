// Scope policies: which pattern decides, what each policy lets through, the config file, and the
// serving path that withholds memories from providers a policy excludes.
#include <gtest/gtest.h>

#include <fstream>
#include <thread>

#include "core/error.h"
#include "helpers.h"
#include "memory/scope_policy.h"
#include "memory/serve_augment.h"

using namespace hearth::memory;
using hearth::json;
using hearth::memory::test::TempStore;
namespace router = hearth::router;

TEST(ScopePolicy, BuiltInsKeepProjectAndPrivateLocal) {
  ScopePolicies p;
  EXPECT_FALSE(p.allows("project:acme", "openai", true));
  EXPECT_FALSE(p.allows("private", "anthropic", true));
  EXPECT_TRUE(p.allows("project:acme", "local", false));  // a local model sees everything
  EXPECT_TRUE(p.allows("private", "ollama-here", false));
  EXPECT_TRUE(p.allows("user", "openai", true));
  EXPECT_TRUE(p.allows("agent:coder", "openai", true));
  EXPECT_EQ(p.lookup("project:acme").pattern, "project:*");
  EXPECT_EQ(p.lookup("user").pattern, "");
  EXPECT_EQ(p.lookup("user").policy.text(), "any-provider");
}

TEST(ScopePolicy, MostSpecificPatternDecides) {
  ScopePolicies p;
  p.set("*", parse_scope_policy("local-only", "t"));
  p.set("project:oss*", parse_scope_policy("any-provider", "t"));
  p.set("project:oss-secret", parse_scope_policy("openai, anthropic", "t"));
  EXPECT_FALSE(p.allows("user", "openai", true));                  // "*"
  EXPECT_TRUE(p.allows("project:oss-lib", "gemini", true));        // longest prefix beats project:*
  EXPECT_FALSE(p.allows("project:acme", "gemini", true));          // project:*
  EXPECT_TRUE(p.allows("project:oss-secret", "anthropic", true));  // exact scope
  EXPECT_FALSE(p.allows("project:oss-secret", "gemini", true));
  EXPECT_EQ(p.lookup("project:oss-secret").policy.text(), "openai,anthropic");
  // Unsetting a built-in returns it to its default; an unknown pattern is reported.
  p.set("private", parse_scope_policy("any-provider", "t"));
  EXPECT_TRUE(p.allows("private", "openai", true));
  EXPECT_TRUE(p.unset("private"));
  EXPECT_FALSE(p.allows("private", "openai", true));
  EXPECT_FALSE(p.unset("private"));
  EXPECT_FALSE(p.unset("nothing"));
}

TEST(ScopePolicy, BadPoliciesAndPatternsAreRefusedWithTheirText) {
  for (const char* bad : {"", "local only", "openai,", ",x", "open ai", "a;b"}) {
    try {
      parse_scope_policy(bad, "where");
      ADD_FAILURE() << bad;
    } catch (const hearth::Error& e) {
      EXPECT_NE(std::string(e.what()).find("where"), std::string::npos) << e.what();
    }
  }
  ScopePolicies p;
  EXPECT_THROW(p.set("", {}), hearth::Error);
  EXPECT_THROW(p.set("pro*ject", {}), hearth::Error);
}

TEST(ScopePolicy, ConfigFileKeepsOtherKeysAndOnlyOverrides) {
  const auto dir = hearth::test::make_temp_dir("hearth-policy");
  const auto config = dir / "config.json";
  {
    std::ofstream(config) << R"({"max_memory_bytes": 4096})";
  }
  ScopePolicies p = load_scope_policies(config);
  EXPECT_EQ(p.entries(), ScopePolicies().entries());
  p.set("work", parse_scope_policy("openai", "t"));
  save_scope_policies(config, p);
  std::ifstream in(config);
  json j = json::parse(in);
  EXPECT_EQ(j["max_memory_bytes"], 4096);
  EXPECT_EQ(j["scope_policies"], (json{{"work", "openai"}}));  // built-ins are not written
  EXPECT_EQ(load_scope_policies(config).entries(), p.entries());

  std::ofstream(config) << R"({"scope_policies": {"work": "every where"}})";
  try {
    load_scope_policies(config);
    FAIL();
  } catch (const hearth::Error& e) {
    EXPECT_EQ(e.code(), hearth::Errc::format);
    EXPECT_NE(std::string(e.what()).find("scope_policies[\"work\"]"), std::string::npos) << e.what();
  }
  std::ofstream(config) << R"({"scope_policies": ["work"]})";
  EXPECT_THROW(load_scope_policies(config), hearth::Error);
}

TEST(ScopePolicy, ServerFileIsReReadWhenItChanges) {
  const auto dir = hearth::test::make_temp_dir("hearth-policy");
  const auto config = dir / "config.json";
  ScopePolicyFile f(config);  // no file yet: the built-ins
  EXPECT_TRUE(f.current().allows("user", "openai", true));
  ScopePolicies p;
  p.set("user", parse_scope_policy("local-only", "t"));
  save_scope_policies(config, p);
  EXPECT_FALSE(f.current().allows("user", "openai", true));
  // A file broken later keeps the last good policies.
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  std::ofstream(config) << "{not json";
  std::filesystem::last_write_time(config, std::filesystem::last_write_time(config) + std::chrono::seconds(1));
  EXPECT_FALSE(f.current().allows("user", "openai", true));
}

namespace {

router::ChatRequest ask(const std::string& text) {
  router::ChatRequest r;
  r.model = "any";
  r.messages.push_back({router::Role::user, text});
  r.use_memory = true;
  return r;
}

}  // namespace

TEST(ScopePolicy, ServingWithholdsMemoriesFromProvidersThePolicyExcludes) {
  TempStore t;
  t.add("The launch codename for the rocket is Bluebird", "fact", "project:rocket");
  const Record cat = t.add("The user's cat is called Mittens and likes the rocket toy", "fact", "user");
  t.add("The rocket budget is private: 3 million", "fact", "private");
  AugmentOptions o;
  o.policies.set("agent:*", parse_scope_policy("anthropic", "t"));
  t.add("The rocket agent prefers terse answers", "preference", "agent:bot");

  auto req = ask("Tell me about the rocket");
  ASSERT_EQ(prepare_memories(*t.store, req, o), 4u);
  ASSERT_TRUE(req.for_target);
  EXPECT_EQ(req.messages.size(), 1u);  // nothing added until a provider is chosen

  auto remote = req;
  req.for_target(remote, "openai", true);
  ASSERT_EQ(remote.messages.size(), 2u);
  EXPECT_EQ(remote.memory_ids, std::vector<std::string>{cat.id});
  EXPECT_EQ(remote.messages[0].content.find("Bluebird"), std::string::npos);
  EXPECT_EQ(remote.messages[0].content.find("3 million"), std::string::npos);
  EXPECT_EQ(remote.messages[0].content.find("terse"), std::string::npos);

  auto listed = req;
  req.for_target(listed, "anthropic", true);
  EXPECT_EQ(listed.memory_ids.size(), 2u);
  EXPECT_NE(listed.messages[0].content.find("terse"), std::string::npos);

  auto local = req;
  req.for_target(local, "local", false);
  EXPECT_EQ(local.memory_ids.size(), 4u);
  for (const char* text : {"Bluebird", "Mittens", "3 million", "terse"})
    EXPECT_NE(local.messages[0].content.find(text), std::string::npos) << text;
}

// Core memories go into every opted-in chat, related or not, ahead of the retrieved ones, within
// their own budget and under the same scope policies.
TEST(ScopePolicy, CoreMemoriesAreGivenEveryTimeWithinBudgetAndPolicy) {
  TempStore t;
  const Record spelling = t.add("Always write with British spelling", "core", "user");
  t.add("The user works on Project Falcon at Acme", "core", "private");
  t.add("Their sister Anna lives in Vienna", "fact", "user");
  AugmentOptions o;
  auto req = ask("Where does Anna live?");
  ASSERT_EQ(prepare_memories(*t.store, req, o), 3u);
  auto remote = req;
  req.for_target(remote, "openai", true);
  ASSERT_EQ(remote.memory_ids.size(), 2u);
  EXPECT_EQ(remote.memory_ids[0], spelling.id);  // core first
  const std::string& sys = remote.messages[0].content;
  EXPECT_LT(sys.find("British spelling"), sys.find("Vienna"));
  EXPECT_EQ(sys.find("Falcon"), std::string::npos);  // private: local only
  auto local = req;
  req.for_target(local, "local", false);
  EXPECT_EQ(local.memory_ids.size(), 3u);

  // An unrelated question still gets the core memories, and only them.
  auto unrelated = ask("Write a haiku about autumn leaves");
  EXPECT_EQ(augment_chat(*t.store, unrelated, o), 2u);
  EXPECT_NE(unrelated.messages[0].content.find("British spelling"), std::string::npos);
  EXPECT_EQ(unrelated.messages[0].content.find("Vienna"), std::string::npos);

  // The budget: a core memory that does not fit is left out, a shorter one still goes in.
  o.core_max_chars = prompt_line(spelling).size() + 5;
  auto small = ask("Write a haiku about autumn leaves");
  EXPECT_EQ(augment_chat(*t.store, small, o), 1u);
  // Off when the request does not opt in.
  auto off = ask("Where does Anna live?");
  off.use_memory = false;
  EXPECT_EQ(augment_chat(*t.store, off, o), 0u);
}
