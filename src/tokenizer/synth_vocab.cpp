#include "tokenizer/synth_vocab.h"

#include <algorithm>
#include <string_view>
#include <unordered_set>

#include "core/error.h"
#include "tokenizer/unicode.h"

namespace hearth::tokenizer {
namespace {

// Letters by rough English frequency: merges built from them first cover common text well, so a
// prompt becomes a realistic number of tokens rather than one per byte.
constexpr std::string_view kLetters = "etaoinshrdlcumwfgypbvkjxqz";

// Chat templates written for hearth in its Jinja subset.
constexpr std::string_view kLlama3Template =
    "{{ bos_token }}{% for message in messages %}"
    "<|start_header_id|>{{ message['role'] }}<|end_header_id|>\n\n{{ message['content'] }}<|eot_id|>"
    "{% endfor %}{% if add_generation_prompt %}<|start_header_id|>assistant<|end_header_id|>\n\n{% endif %}";
constexpr std::string_view kChatmlTemplate =
    "{% for message in messages %}<|im_start|>{{ message['role'] }}\n{{ message['content'] }}<|im_end|>\n"
    "{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}";

// Harmony (gpt-oss): a system message naming the channels, a developer message with the
// instructions (the conversation's leading system message) and the function tools, then the
// turns. A final answer goes to the final channel; a tool call is a commentary message addressed
// to functions.NAME with JSON arguments, ended by <|call|>; a tool's result comes back from
// functions.NAME. Text in an assistant message that also calls tools is its analysis; reasoning
// fields (thinking, reasoning_content) are not rendered. A tool message is named by its `name`
// (or `tool_name`), else by the call its tool_call_id answers, else "tool". Rendering drops a
// newline right after a block tag (trim_blocks), so the one that follows `{% if tools %}` is an
// expression.
constexpr std::string_view kHarmonyTemplate =
    "<|start|>system<|message|>You are a helpful assistant.\n"
    "Reasoning: {{ reasoning_effort if reasoning_effort is defined else 'medium' }}\n\n"
    "# Valid channels: analysis, commentary, final. Channel must be included for every message."
    "{% if tools %}{{ '\\nCalls to these tools must go to the commentary channel: \\'functions\\'.' }}{% endif %}"
    "<|end|>"
    "{% if messages and messages[0]['role'] in ['system', 'developer'] %}"
    "{% set instructions = messages[0]['content'] %}{% else %}{% set instructions = '' %}{% endif %}"
    "{% if instructions or tools %}<|start|>developer<|message|>"
    "{% if instructions %}# Instructions\n\n{{ instructions }}\n\n{% endif %}"
    "{% if tools %}# Tools\n\n## functions\n\nnamespace functions {\n\n"
    "{% for tool in tools %}{% set fn = tool['function'] if tool['function'] is defined else tool %}"
    "{% if fn['description'] %}// {{ fn['description'] }}\n{% endif %}"
    "type {{ fn['name'] }} = {% if fn['parameters'] %}(_: {{ fn['parameters'] | tojson }}){% else %}(){% endif %}"
    " => any;\n\n{% endfor %}} // namespace functions{% endif %}<|end|>{% endif %}"
    "{% for message in messages %}"
    "{% if message['role'] == 'user' %}<|start|>user<|message|>{{ message['content'] }}<|end|>"
    "{% elif message['role'] == 'assistant' and message['tool_calls'] %}"
    "{% if message['content'] %}<|start|>assistant<|channel|>analysis<|message|>{{ message['content'] }}<|end|>{% endif %}"
    "{% for call in message['tool_calls'] %}"
    "{% set fn = call['function'] if call['function'] is defined else call %}"
    "<|start|>assistant<|channel|>commentary to=functions.{{ fn['name'] }} <|constrain|>json<|message|>"
    "{% if fn['arguments'] is string %}{{ fn['arguments'] }}{% else %}{{ fn['arguments'] | tojson }}{% endif %}"
    "<|call|>{% endfor %}"
    "{% elif message['role'] == 'assistant' %}"
    "<|start|>assistant<|channel|>final<|message|>{{ message['content'] }}<|end|>"
    "{% elif message['role'] == 'tool' %}"
    "{% set ns = namespace(name=message['name'] or message['tool_name'] or '') %}"
    "{% if not ns.name and message['tool_call_id'] %}{% for m in messages %}"
    "{% if m['role'] == 'assistant' and m['tool_calls'] %}{% for call in m['tool_calls'] %}"
    "{% if call['id'] == message['tool_call_id'] %}"
    "{% set ns.name = call['function']['name'] if call['function'] is defined else call['name'] %}"
    "{% endif %}{% endfor %}{% endif %}{% endfor %}{% endif %}"
    "<|start|>functions.{{ ns.name or 'tool' }}<|channel|>commentary<|message|>{{ message['content'] }}<|end|>"
    "{% endif %}{% endfor %}"
    "{% if add_generation_prompt %}<|start|>assistant{% endif %}";

constexpr int32_t kTypeNormal = 1, kTypeControl = 3;

// o200k_harmony's first special id: a harmony vocabulary at least this large plus the reserved
// block keeps the real file's ids.
constexpr int64_t kHarmonyFirstSpecial = 199998;

}  // namespace

SynthVocab make_synth_vocab(SynthVocabStyle style, int64_t n_vocab) {
  if (n_vocab < 1024 || n_vocab > (int64_t{1} << 22))
    fail(Errc::invalid_argument, "synthetic vocabulary size " + std::to_string(n_vocab) +
                                     " is outside [1024, 4194304]");
  // Special tokens: the family's named ones first, then reserved fillers.
  std::vector<std::string> named;
  if (style == SynthVocabStyle::llama3) {
    named = {"<|begin_of_text|>", "<|end_of_text|>", "<|reserved_special_token_0|>",
             "<|reserved_special_token_1|>", "<|finetune_right_pad_id|>", "<|reserved_special_token_2|>",
             "<|start_header_id|>", "<|end_header_id|>", "<|eom_id|>", "<|eot_id|>"};
  } else if (style == SynthVocabStyle::harmony) {  // o200k_harmony's ids 199998..200012
    named = {"<|startoftext|>", "<|endoftext|>", "<|reserved_200000|>", "<|reserved_200001|>",
             "<|return|>", "<|constrain|>", "<|reserved_200004|>", "<|channel|>", "<|start|>",
             "<|end|>", "<|message|>", "<|reserved_200009|>", "<|reserved_200010|>",
             "<|reserved_200011|>", "<|call|>"};
  } else {
    named = {"<|endoftext|>", "<|im_start|>", "<|im_end|>"};
  }
  // Real families reserve a block of special ids at the end of the vocabulary. A harmony
  // vocabulary as large as o200k_harmony's (201088) has its special ids exactly.
  int64_t n_special = n_vocab >= 65536 ? 256 : 16;
  if (style == SynthVocabStyle::harmony && n_vocab >= kHarmonyFirstSpecial + n_special)
    n_special = n_vocab - kHarmonyFirstSpecial;
  n_special = std::max<int64_t>(n_special, static_cast<int64_t>(named.size()));
  const int64_t n_regular = n_vocab - n_special;

  SynthVocab v;
  v.tokens.reserve(static_cast<size_t>(n_vocab));
  for (int b = 0; b < 256; ++b) v.tokens.push_back(unicode::byte_to_text(static_cast<uint8_t>(b)));

  // Merges extend a token by one letter on the right. Starters: a space (GPT-2's 'Ġ'), and each
  // lower- and upper-case letter; each round extends every token of the previous round by every
  // letter, in frequency order, until the regular vocabulary is full.
  std::vector<std::string> frontier;
  frontier.push_back(unicode::byte_to_text(' '));
  for (char ch : kLetters) frontier.emplace_back(1, ch);
  for (char ch : kLetters) frontier.emplace_back(1, static_cast<char>(ch - 'a' + 'A'));
  std::unordered_set<std::string> seen(v.tokens.begin(), v.tokens.end());
  while (static_cast<int64_t>(v.tokens.size()) < n_regular) {
    std::vector<std::string> next;
    for (const std::string& left : frontier) {
      for (char ch : kLetters) {
        if (static_cast<int64_t>(v.tokens.size()) >= n_regular) break;
        const std::string right(1, ch);
        std::string joined = left + right;
        if (!seen.insert(joined).second) continue;
        v.merges.push_back(left + " " + right);
        v.tokens.push_back(joined);
        next.push_back(std::move(joined));
      }
      if (static_cast<int64_t>(v.tokens.size()) >= n_regular) break;
    }
    frontier = std::move(next);
  }
  v.types.assign(v.tokens.size(), kTypeNormal);

  const int32_t base = static_cast<int32_t>(n_regular);
  for (int64_t i = 0; i < n_special; ++i) {
    // Fillers: harmony's continue o200k_harmony's numbering (<|reserved_200013|>, ...).
    std::string text = i < static_cast<int64_t>(named.size()) ? named[static_cast<size_t>(i)]
                       : style == SynthVocabStyle::harmony
                           ? "<|reserved_" + std::to_string(kHarmonyFirstSpecial + i) + "|>"
                           : "<|reserved_special_token_" + std::to_string(i) + "|>";
    v.tokens.push_back(std::move(text));
    v.types.push_back(kTypeControl);
  }
  if (style == SynthVocabStyle::llama3) {
    v.pre = "llama-bpe";
    v.bos_id = base + 0;
    v.eos_id = base + 9;  // <|eot_id|>: instruct models stop there
    v.eot_id = base + 9;
    v.pad_id = base + 4;
    v.add_bos = true;
    v.chat_template = std::string(kLlama3Template);
  } else if (style == SynthVocabStyle::harmony) {
    v.pre = "gpt-4o";
    v.bos_id = base + 0;  // <|startoftext|>
    v.eos_id = base + 4;  // <|return|>
    v.pad_id = base + 1;  // <|endoftext|>
    v.add_bos = false;
    v.chat_template = std::string(kHarmonyTemplate);
  } else {
    v.pre = "qwen2";
    v.bos_id = base + 0;
    v.eos_id = base + 2;  // <|im_end|>
    v.pad_id = base + 0;
    v.add_bos = false;
    v.chat_template = std::string(kChatmlTemplate);
  }
  return v;
}

}  // namespace hearth::tokenizer
