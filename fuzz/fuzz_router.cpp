// libFuzzer target for what the gateway does with untrusted request bodies: every dialect's
// parser (OpenAI chat/completions/embeddings/responses, Anthropic messages, Ollama
// chat/generate/embed), and the router config's YAML.
// Any input must parse or throw hearth::Error (ProviderError is one); anything else is a bug.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/error.h"
#include "router/config.h"
#include "router/gateway_parse.h"
#include "router/wire_anthropic.h"
#include "router/wire_ollama.h"
#include "router/wire_responses.h"

namespace {

template <class F>
void expect_clean(F&& f) {
  try {
    f();
  } catch (const hearth::Error&) {
    // A clear, typed refusal is the expected outcome for bad input.
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace hearth::router;
  // The first byte picks the endpoint ('0'..'7' map to cases 0..7; '8' is the router config), so
  // one corpus covers them all.
  if (size == 0) return 0;
  const uint8_t which = data[0] >= '0' && data[0] <= '8' ? data[0] - '0' : data[0] % 9;
  const std::string_view body(reinterpret_cast<const char*>(data + 1), size - 1);
  if (which == 8) {
    expect_clean([&] { (void)parse_config(std::string(body), "fuzz.yaml"); });
    return 0;
  }
  expect_clean([&] {
    const hearth::json j = parse_request_body(body);
    switch (which) {
      case 0: (void)parse_openai_chat(j); break;
      case 1: (void)parse_openai_completion(j); break;
      case 2: (void)parse_openai_embeddings(j); break;
      case 3: (void)anthropic::request_from_json(j); break;
      case 4: {
        bool stream = false;
        (void)ollama::request_from_json(j, &stream);
        break;
      }
      case 5: (void)ollama::generate_from_json(j); break;
      case 6: (void)parse_ollama_embed(j, size % 2 == 0); break;
      default: (void)responses::parse_request(j); break;
    }
  });
  return 0;
}
