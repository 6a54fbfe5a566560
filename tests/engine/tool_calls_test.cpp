// Tool calls: the syntax read from real templates, the call grammar of each syntax (accepts the
// canonical call, refuses wrong names and arguments), parsing calls back out of text (complete,
// cut off, mixed with prose), and the lazy grammar that lets free text run until a call starts.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "core/error.h"
#include "engine/tool_calls.h"
#include "sampling/grammar.h"
#include "sampling/grammar_constraint.h"
#include "support/shared_data.h"

namespace {

using namespace hearth::engine;
using hearth::ordered_json;

std::vector<ToolSpec> weather_tools() {
  return {{"get_weather", "Weather for a city",
           ordered_json::parse(R"({"type":"object","properties":{"city":{"type":"string","enum":["Paris","Rome"]},
                                   "days":{"type":"integer","minimum":1,"maximum":7},"note":{"type":"string"}},
                                   "required":["city","days"]})")},
          {"get_time", "", ordered_json::parse(R"({"type":"object","properties":{"utc":{"type":"boolean"}},"required":["utc"]})")}};
}

bool accepts(const std::string& gbnf, const std::string& text) {
  hearth::sampling::GrammarMatcher m(hearth::sampling::Grammar::parse(gbnf));
  return m.accept(text) && m.complete();
}

// One call of get_weather(city=Paris, days=3) as each syntax writes it.
std::string canonical(ToolSyntax s) {
  switch (s) {
    case ToolSyntax::generic:
    case ToolSyntax::hermes: return "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\", \"days\": 3}}\n</tool_call>";
    case ToolSyntax::qwen3_coder:
      return "<tool_call>\n<function=get_weather>\n<parameter=city>\nParis\n</parameter>\n<parameter=days>\n3\n</parameter>\n"
             "</function>\n</tool_call>";
    case ToolSyntax::llama3: return "{\"name\": \"get_weather\", \"parameters\": {\"city\": \"Paris\", \"days\": 3}}";
    case ToolSyntax::mistral: return "[TOOL_CALLS][{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\", \"days\": 3}}]";
    case ToolSyntax::mistral_args: return "[TOOL_CALLS]get_weather[ARGS]{\"city\": \"Paris\", \"days\": 3}";
    case ToolSyntax::harmony:
      return "<|channel|>commentary to=functions.get_weather <|constrain|>json<|message|>{\"city\": \"Paris\", \"days\": 3}";
  }
  return "";
}

const ToolSyntax kAll[] = {ToolSyntax::generic, ToolSyntax::hermes, ToolSyntax::qwen3_coder,
                           ToolSyntax::llama3, ToolSyntax::mistral, ToolSyntax::mistral_args, ToolSyntax::harmony};

TEST(ToolCalls, SyntaxIsReadFromTheFamilysTemplate) {
  HEARTH_REQUIRE_SHARED();
  const std::pair<const char*, ToolSyntax> cases[] = {
      {"Qwen-Qwen2.5-7B-Instruct.jinja", ToolSyntax::hermes},
      {"Qwen-Qwen3-0.6B.jinja", ToolSyntax::hermes},
      {"NousResearch-Hermes-3-Llama-3.1-8B-tool_use.jinja", ToolSyntax::hermes},
      {"Qwen3-Coder.jinja", ToolSyntax::qwen3_coder},
      {"Qwen3.5-4B.jinja", ToolSyntax::qwen3_coder},
      {"meta-llama-Llama-3.1-8B-Instruct.jinja", ToolSyntax::llama3},
      {"meta-llama-Llama-3.2-3B-Instruct.jinja", ToolSyntax::llama3},
      {"mistralai-Mistral-Nemo-Instruct-2407.jinja", ToolSyntax::mistral},
      {"Mistral-Small-3.2-24B-Instruct-2506.jinja", ToolSyntax::mistral_args},
      {"unsloth-mistral-Devstral-Small-2507.jinja", ToolSyntax::mistral_args},
      {"google-gemma-2-2b-it.jinja", ToolSyntax::generic},
      {"openai-gpt-oss-120b.jinja", ToolSyntax::harmony},
  };
  for (const auto& [file, want] : cases) {
    std::ifstream in(hearth::test::shared_dir() / "templates" / "jinja" / file);
    ASSERT_TRUE(in) << file;
    std::stringstream ss;
    ss << in.rdbuf();
    EXPECT_EQ(tool_syntax_name(detect_tool_syntax(ss.str())), std::string(tool_syntax_name(want))) << file;
  }
  EXPECT_EQ(detect_tool_syntax(""), ToolSyntax::generic);
}

TEST(ToolCalls, GrammarAcceptsTheCanonicalCallAndRefusesWrongOnes) {
  const auto tools = weather_tools();
  for (ToolSyntax s : kAll) {
    SCOPED_TRACE(tool_syntax_name(s));
    const auto g = tool_call_grammar(s, tools, {ToolMode::required, "", false});
    EXPECT_TRUE(g.triggers.empty());
    const std::string good = canonical(s);
    EXPECT_TRUE(accepts(g.gbnf, good)) << g.gbnf;
    std::string bad_city = good;
    bad_city.replace(bad_city.find("Paris"), 5, "Tokyo");
    EXPECT_FALSE(accepts(g.gbnf, bad_city));
    std::string bad_days = good;
    bad_days.replace(bad_days.find('3'), 1, "9");
    EXPECT_FALSE(accepts(g.gbnf, bad_days));
    std::string bad_name = good;
    bad_name.replace(bad_name.find("get_weather"), 11, "get_wetter");
    EXPECT_FALSE(accepts(g.gbnf, bad_name));
    EXPECT_FALSE(accepts(g.gbnf, "Sure! " + good)) << "required: no text before the call";
    // A named choice allows only that tool.
    const auto named = tool_call_grammar(s, tools, {ToolMode::named, "get_time", false});
    EXPECT_FALSE(accepts(named.gbnf, good));
    // auto: the same calls, armed by the call marker.
    const auto lazy = tool_call_grammar(s, tools, {ToolMode::automatic, "", true});
    EXPECT_FALSE(lazy.triggers.empty());
    EXPECT_NE(good.find(lazy.triggers[0]), std::string::npos);
  }
  EXPECT_TRUE(tool_call_grammar(ToolSyntax::hermes, weather_tools(), {ToolMode::none, "", true}).gbnf.empty());
  EXPECT_THROW(tool_call_grammar(ToolSyntax::hermes, weather_tools(), {ToolMode::named, "nope", true}), hearth::Error);
}

TEST(ToolCalls, ParallelCallsFollowEachSyntax) {
  const auto tools = weather_tools();
  const std::pair<ToolSyntax, std::string> two[] = {
      {ToolSyntax::hermes, canonical(ToolSyntax::hermes) + "\n<tool_call>\n{\"name\": \"get_time\", \"arguments\": {\"utc\": true}}\n</tool_call>"},
      {ToolSyntax::llama3, canonical(ToolSyntax::llama3) + "; {\"name\": \"get_time\", \"parameters\": {\"utc\": true}}"},
      {ToolSyntax::mistral, "[TOOL_CALLS][{\"name\": \"get_time\", \"arguments\": {\"utc\": false}}, {\"name\": \"get_time\", \"arguments\": {\"utc\": true}}]"},
      {ToolSyntax::mistral_args, canonical(ToolSyntax::mistral_args) + "[TOOL_CALLS]get_time[ARGS]{\"utc\": true}"},
  };
  for (const auto& [s, text] : two) {
    SCOPED_TRACE(tool_syntax_name(s));
    EXPECT_TRUE(accepts(tool_call_grammar(s, tools, {ToolMode::required, "", true}).gbnf, text));
    EXPECT_FALSE(accepts(tool_call_grammar(s, tools, {ToolMode::required, "", false}).gbnf, text));
    const auto r = parse_tool_calls(s, text, tools);
    ASSERT_EQ(r.calls.size(), 2u);
    EXPECT_EQ(r.calls[1].name, "get_time");
    EXPECT_EQ(r.content, "");
  }
}

TEST(ToolCalls, ParsingTakesCallsOutOfText) {
  const auto tools = weather_tools();
  for (ToolSyntax s : kAll) {
    SCOPED_TRACE(tool_syntax_name(s));
    const auto r = parse_tool_calls(s, canonical(s), tools);
    ASSERT_EQ(r.calls.size(), 1u);
    EXPECT_EQ(r.calls[0].name, "get_weather");
    EXPECT_EQ(hearth::json::parse(r.calls[0].arguments), hearth::json::parse(R"({"city":"Paris","days":3})"));
    EXPECT_EQ(r.content, "");
    // Plain text is content, and so is a call cut off with nothing complete before it.
    EXPECT_TRUE(parse_tool_calls(s, "Just text.", tools).calls.empty());
    const std::string cut = canonical(s).substr(0, canonical(s).size() - 8);
    const auto c = parse_tool_calls(s, cut, tools);
    EXPECT_TRUE(c.calls.empty());
    EXPECT_EQ(c.content, cut);
    // A call to a tool that was not offered is not a call.
    std::string other = canonical(s);
    other.replace(other.find("get_weather"), 11, "rm_rf");
    EXPECT_TRUE(parse_tool_calls(s, other, tools).calls.empty());
  }
  // Prose before a tagged call stays content; a second call cut off is dropped.
  const auto r = parse_tool_calls(ToolSyntax::hermes,
                                  "Let me check.\n" + canonical(ToolSyntax::hermes) + "\n<tool_call>\n{\"name\": \"get_ti", tools);
  ASSERT_EQ(r.calls.size(), 1u);
  EXPECT_EQ(r.content, "Let me check.");
  // Qwen3-Coder: strings raw (whatever they hold), other types as JSON.
  const auto q = parse_tool_calls(ToolSyntax::qwen3_coder,
                                  "<tool_call>\n<function=get_weather>\n<parameter=city>\nRome\n</parameter>\n<parameter=days>\n 2 \n"
                                  "</parameter>\n<parameter=note>\n{\"not\": json}\n</parameter>\n</function>\n</tool_call>",
                                  tools);
  ASSERT_EQ(q.calls.size(), 1u);
  EXPECT_EQ(hearth::json::parse(q.calls[0].arguments), hearth::json::parse(R"({"city":"Rome","days":2,"note":"{\"not\": json}"})"));
  // Llama's tag (when the control token is rendered) and arguments written as a JSON string.
  const auto l = parse_tool_calls(ToolSyntax::llama3, "<|python_tag|>{\"name\": \"get_time\", \"arguments\": \"{\\\"utc\\\": true}\"}", tools);
  ASSERT_EQ(l.calls.size(), 1u);
  EXPECT_EQ(l.calls[0].arguments, R"({"utc":true})");
}

// gpt-oss's harmony replies: channels, the two places a recipient can be written, reasoning
// before a call, text that does not follow the format, and what streaming may pass on.
TEST(ToolCalls, HarmonyMessagesAndCalls) {
  const auto tools = weather_tools();
  auto expect_messages = [](const std::string& text, const std::vector<HarmonyMessage>& want) {
    const auto got = parse_harmony(text);
    ASSERT_EQ(got.size(), want.size()) << text;
    for (size_t i = 0; i < want.size(); ++i) {
      EXPECT_EQ(got[i].channel, want[i].channel) << text;
      EXPECT_EQ(got[i].recipient, want[i].recipient) << text;
      EXPECT_EQ(got[i].body, want[i].body) << text;
    }
  };
  expect_messages("<|channel|>analysis<|message|>The user greets.<|end|><|start|>assistant<|channel|>final<|message|>Hi!",
                  {{"analysis", "", "The user greets."}, {"final", "", "Hi!"}});
  // A model that leaves out <|end|> still starts a new message at the next header.
  expect_messages("<|channel|>analysis<|message|>think<|start|>assistant<|channel|>final<|message|>ok<|end|>",
                  {{"analysis", "", "think"}, {"final", "", "ok"}});
  // Not the format at all, or text before the first header: plain messages.
  expect_messages("hello <b>world</b>", {{"", "", "hello <b>world</b>"}});
  expect_messages("Sure.<|channel|>final<|message|>x", {{"", "", "Sure."}, {"final", "", "x"}});
  expect_messages(" to=functions.get_time<|channel|>commentary json<|message|>{}",
                  {{"commentary", "functions.get_time", "{}"}});

  // Reasoning, then a call whose recipient follows the role instead of the channel.
  const std::string role_form =
      "<|channel|>analysis<|message|>Need the time.<|end|><|start|>assistant to=functions.get_time<|channel|>commentary json"
      "<|message|>{\"utc\": true}";
  auto r = parse_tool_calls(ToolSyntax::harmony, role_form, tools);
  ASSERT_EQ(r.calls.size(), 1u);
  EXPECT_EQ(r.calls[0].name, "get_time");
  EXPECT_EQ(r.calls[0].arguments, R"({"utc":true})");
  EXPECT_EQ(r.content, "");  // analysis is reasoning, not content
  // A preamble on the commentary channel before the call is content.
  r = parse_tool_calls(ToolSyntax::harmony,
                       "<|channel|>commentary<|message|>Checking.<|end|><|start|>assistant" + canonical(ToolSyntax::harmony), tools);
  ASSERT_EQ(r.calls.size(), 1u);
  EXPECT_EQ(r.content, "Checking.");
  // Arguments keep the order the model wrote them in.
  r = parse_tool_calls(ToolSyntax::harmony,
                       "<|channel|>commentary to=functions.get_weather <|constrain|>json<|message|>{\"days\": 2, \"city\": \"Rome\"}",
                       tools);
  ASSERT_EQ(r.calls.size(), 1u);
  EXPECT_EQ(r.calls[0].arguments, R"({"days":2,"city":"Rome"})");

  // The required grammar lets the model reason first, then holds it to one valid call.
  const auto g = tool_call_grammar(ToolSyntax::harmony, tools, {ToolMode::required, "", true});
  EXPECT_TRUE(accepts(g.gbnf, "<|channel|>analysis<|message|>I should look it up.<|end|><|start|>assistant" +
                                  canonical(ToolSyntax::harmony)));
  EXPECT_TRUE(accepts(g.gbnf, " to=functions.get_time<|channel|>commentary json<|message|>{\"utc\": false}"));
  EXPECT_TRUE(accepts(g.gbnf, "<|channel|>commentary to=functions.get_time<|message|>{\"utc\": false}"));
  EXPECT_FALSE(accepts(g.gbnf, "<|channel|>final<|message|>It is sunny."));
  EXPECT_FALSE(accepts(g.gbnf, canonical(ToolSyntax::harmony) + "<|end|><|start|>assistant" + canonical(ToolSyntax::harmony)))
      << "one call per reply: <|call|> ends it";

  // Streaming: a trailing piece that may grow into a marker or an unfinished header waits.
  EXPECT_EQ(harmony_stable_prefix("<|channel|>final<|message|>Hel"), 30u);
  EXPECT_EQ(harmony_stable_prefix("<|channel|>final<|message|>Hello<|e"), 32u);
  EXPECT_EQ(harmony_stable_prefix("<|channel|>analysis<|message|>x<|end|><|start|>assistant<|channel|>fin"), 38u);
  EXPECT_EQ(harmony_stable_prefix(" to=functions.get_time"), 0u);
  EXPECT_EQ(harmony_stable_prefix("plain text"), 10u);
}

TEST(ToolCalls, StreamingHoldsBackOnlyWhatMayBeACall) {
  EXPECT_EQ(tool_call_start(ToolSyntax::hermes, "Hello there"), std::string::npos);
  EXPECT_EQ(tool_call_start(ToolSyntax::hermes, "Hello <tool"), 6u);
  EXPECT_EQ(tool_call_start(ToolSyntax::hermes, "Hello <tool_call>\n{"), 6u);
  EXPECT_EQ(tool_call_start(ToolSyntax::hermes, "a < b"), std::string::npos);
  EXPECT_EQ(tool_call_start(ToolSyntax::mistral, "x[TOOL_"), 1u);
  EXPECT_EQ(tool_call_start(ToolSyntax::llama3, "{\"na"), 0u);
}

TEST(ToolCalls, IdsFitWhatTemplatesDemand) {
  uint64_t st = 42;
  const std::string m = new_tool_call_id(ToolSyntax::mistral_args, st);
  EXPECT_EQ(m.size(), 9u);
  for (char c : m) EXPECT_TRUE(std::isalnum(static_cast<unsigned char>(c)));
  const std::string o = new_tool_call_id(ToolSyntax::hermes, st);
  EXPECT_EQ(o.rfind("call_", 0), 0u);
  EXPECT_NE(o, new_tool_call_id(ToolSyntax::hermes, st));
}

TEST(ToolCalls, BadToolsAreRefusedByIndexAndField) {
  auto tools = weather_tools();
  EXPECT_NO_THROW(validate_tools(tools));
  auto expect_error = [](const std::vector<ToolSpec>& t, const std::string& part) {
    try {
      validate_tools(t);
      ADD_FAILURE() << "accepted; wanted an error with " << part;
    } catch (const hearth::Error& e) {
      EXPECT_NE(std::string(e.what()).find(part), std::string::npos) << e.what();
    }
  };
  auto t = tools;
  t[1].name = "has space";
  expect_error(t, "tools[1].function.name");
  t = tools;
  t[1].name = "get_weather";
  expect_error(t, "repeats");
  t = tools;
  t[0].parameters["properties"]["city"]["not"] = ordered_json::object();
  expect_error(t, "tools[0].function.parameters");
  t = tools;
  t[0].parameters = ordered_json::parse(R"({"type":"array"})");
  expect_error(t, "type object");
}

// The lazy grammar on a toy vocabulary: anything goes until the trigger, then only the call.
TEST(ToolCalls, LazyGrammarIsFreeUntilTheTrigger) {
  using namespace hearth::sampling;
  std::vector<std::string> p = {"", "Hi", " <tool", "_call>", "{", "}", "x", "<tool_call>{"};
  std::vector<bool> eog(p.size(), false);
  eog[0] = true;
  auto vocab = std::make_shared<TokenBytes>(p, eog);
  auto g = Grammar::parse(R"(root ::= "<tool_call>{}")");
  GrammarConstraint gc(g, vocab, {"<tool_call>"});
  EXPECT_FALSE(gc.active());
  EXPECT_TRUE(gc.allows(6));  // free text
  EXPECT_TRUE(gc.allows(0));  // and it may end
  gc.accept(1);
  gc.accept(2);               // " <tool": a prefix of the trigger, still free
  EXPECT_FALSE(gc.active());
  EXPECT_TRUE(gc.allows(3));
  gc.accept(3);               // "_call>": the trigger is complete, the grammar holds from its start
  EXPECT_TRUE(gc.active());
  EXPECT_FALSE(gc.allows(6));
  EXPECT_FALSE(gc.allows(0));
  EXPECT_TRUE(gc.allows(4));
  gc.accept(4);
  gc.accept(5);
  EXPECT_TRUE(gc.finished());
  EXPECT_TRUE(gc.allows(0));
  // A token that completes the trigger and goes on must fit the grammar from the trigger on.
  GrammarConstraint fresh(Grammar::parse(R"(root ::= "<tool_call>[" )"), vocab, {"<tool_call>"});
  EXPECT_FALSE(fresh.allows(7));
}

}  // namespace
