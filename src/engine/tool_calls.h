// Tool calls on the local engine: which syntax a model family writes calls in (read from its chat
// template), the grammar that makes a call parse and its arguments fit the tool's schema, and the
// parser that takes calls back out of the generated text.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/json.h"

namespace hearth::engine {

enum class ToolSyntax {
  generic,      // template without tools: hearth describes them and asks for <tool_call>{json}
  hermes,       // Hermes 2/3, Qwen 2.5, Qwen 3: <tool_call>{"name": ..., "arguments": {...}}</tool_call>
  qwen3_coder,  // Qwen3-Coder: <tool_call><function=NAME><parameter=P>value</parameter>...
  llama3,       // Llama 3.1+: {"name": ..., "parameters": {...}}
  mistral,      // Mistral Nemo: [TOOL_CALLS][{"name": ..., "arguments": {...}}, ...]
  mistral_args,  // Mistral Small 3.2, Devstral, Ministral 3: [TOOL_CALLS]NAME[ARGS]{...}
  harmony        // gpt-oss: <|channel|>commentary to=functions.NAME <|constrain|>json<|message|>{...}
};
const char* tool_syntax_name(ToolSyntax s);
// From the template's text; an empty source (no template) is generic.
ToolSyntax detect_tool_syntax(std::string_view template_source);

struct ToolSpec {
  std::string name;
  std::string description;
  ordered_json parameters = ordered_json::object();  // JSON Schema of the arguments object
};

enum class ToolMode { automatic, none, required, named };
struct ToolChoice {
  ToolMode mode = ToolMode::automatic;
  std::string name;       // named: the tool that must be called
  bool parallel = true;   // more than one call in a reply
};

// Checks names (letters, digits, '_' and '-', 1-64 as OpenAI requires) and that every parameter
// schema converts; throws Error(invalid_argument) naming "tools[i]..." otherwise.
void validate_tools(const std::vector<ToolSpec>& tools);

struct ToolGrammar {
  std::string gbnf;
  // Lazy: output is free until one of these appears (tool_choice auto). Empty: the grammar holds
  // from the first token (required or named).
  std::vector<std::string> triggers;
};
// Marker texts of a syntax that vocabularies often hold as control tokens ([TOOL_CALLS],
// <|python_tag|>): a reply that may call tools reads them as text, so the model writes a marker
// as the one token it learned, the grammar matches it and the parser sees it.
std::vector<std::string> tool_marker_tokens(ToolSyntax syntax);

// The grammar of the call(s) the choice allows, in the syntax's format. mode none has no grammar.
ToolGrammar tool_call_grammar(ToolSyntax syntax, const std::vector<ToolSpec>& tools, const ToolChoice& choice);

struct ParsedToolCall {
  std::string name;
  std::string arguments;  // JSON object text
};
struct ParsedReply {
  std::string content;  // the text around the calls
  std::vector<ParsedToolCall> calls;
};
// Takes the calls out of a finished reply. Text that does not form a complete call stays content.
ParsedReply parse_tool_calls(ToolSyntax syntax, std::string_view text, const std::vector<ToolSpec>& tools);

// One message of a harmony reply (gpt-oss): its channel (analysis, commentary, final), its
// recipient ("functions.NAME" for a tool call, else empty) and its body.
struct HarmonyMessage {
  std::string channel, recipient, body;
};
// Reads a harmony reply (the text after the prompt's "<|start|>assistant"). Text that does not
// follow the format, before or instead of any message, comes back as one message without a channel.
std::vector<HarmonyMessage> parse_harmony(std::string_view text);
// The canonical header of a call to `recipient` ("functions.NAME"): what HarmonyStream passes on
// and what a reply that was not a call after all is shown with.
std::string harmony_call_header(std::string_view recipient);
// How much of a streaming harmony reply parse_harmony can read for sure: a trailing piece that
// may still grow into a marker or a message header is left out.
size_t harmony_stable_prefix(std::string_view text);

// Where a call may begin in `text`: the first complete call marker, or else a trailing prefix of
// one (streaming holds that much back). npos: everything so far is plain text.
size_t tool_call_start(ToolSyntax syntax, std::string_view text);

// A fresh call id: Mistral's templates insist on 9 letters and digits; others get "call_" + 24.
std::string new_tool_call_id(ToolSyntax syntax, uint64_t& state);

// The system text that teaches a model whose template has no tools how to call them (generic).
std::string generic_tool_prompt(const std::vector<ToolSpec>& tools);

}  // namespace hearth::engine
