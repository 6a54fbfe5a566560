// `hearth run`: generate a continuation of a prompt, streamed to stdout as it is produced.
#include <cstdio>
#include <memory>

#include "cli/command.h"
#include "cli/env_options.h"
#include "core/error.h"
#include "core/json.h"
#include "cli/generation_flags.h"
#include "engine/generate.h"
#include "engine/loader.h"

namespace hearth::cli {
namespace {

struct RunFlags {
  GenerationFlags gen;
  std::string prompt;
  bool no_bos = false;
};

double per_s(int64_t n, double ms) { return ms > 0 ? n * 1000.0 / ms : 0.0; }

const char* stop_name(engine::StopReason s) {
  switch (s) {
    case engine::StopReason::eog: return "eog";
    case engine::StopReason::length: return "length";
    case engine::StopReason::context_full: return "context_full";
    case engine::StopReason::cancelled: return "cancelled";
    case engine::StopReason::callback: return "callback";
  }
  return "unknown";
}

int run(const RunFlags& f) {
  if (f.gen.n_ctx < 0) fail(Errc::invalid_argument, "--ctx-size must be >= 0");
  sampling::validate(f.gen.sampling);
  const auto grammar = grammar_from_flags(f.gen);
  model::LoadOptions load = load_options_from_env();
  apply_gpu_flags(f.gen.gpu, load);
  auto lm = engine::load_model(f.gen.model, load);
  engine::Session session(lm.model, lm.tokenizer, session_options(f.gen));
  auto drafter = drafter_from_flags(f.gen, lm, session_options(f.gen), load);
  std::vector<int32_t> prompt = lm.tokenizer->encode(f.prompt, !f.no_bos, false);
  if (prompt.empty()) fail(Errc::invalid_argument, "the prompt is empty (and no BOS token is added)");
  sampling::Sampler sampler(f.gen.sampling, static_cast<int32_t>(lm.model->n_vocab()));
  if (grammar) sampler.set_constraint(std::make_unique<sampling::GrammarConstraint>(grammar, lm.token_bytes));

  tokenizer::StreamDecoder dec(*lm.tokenizer);
  // The output continues the prompt, so the first generated piece keeps its leading space: feed
  // the decoder the prompt's last token (and drop its text) so it is not treated as the start.
  (void)dec.push(prompt.back());
  (void)dec.flush();
  auto on_token = [&](int32_t tok) {
    if (!f.gen.json) {
      std::string piece = dec.push(tok);
      std::fwrite(piece.data(), 1, piece.size(), stdout);
      std::fflush(stdout);
    }
    return true;
  };
  engine::SpeculativeStats spec;
  engine::GenerateResult r = engine::generate_speculative(session, sampler, prompt, f.gen.n_predict, on_token,
                                                             drafter.get(), f.gen.speculative, &spec);

  if (f.gen.json) {
    ordered_json j = {{"prompt_tokens", prompt},
              {"tokens", r.tokens},
              {"text", lm.tokenizer->decode(r.tokens)},
              {"timings",
               {{"prompt_ms", r.prompt_ms},
                {"prompt_tokens_per_s", per_s(r.prompt_processed, r.prompt_ms)},
                {"gen_ms", r.gen_ms},
                {"gen_tokens_per_s", per_s(static_cast<int64_t>(r.tokens.size()), r.gen_ms)}}},
              {"stop", stop_name(r.stop)},
              {"shifted_tokens", r.shifted_tokens}};
    if (drafter) j["speculative"] = {{"drafted", spec.drafted}, {"accepted", spec.accepted}, {"batches", spec.batches}};
    std::printf("%s\n", j.dump(-1, ' ', false, ordered_json::error_handler_t::replace).c_str());
  } else {
    std::string rest = dec.flush();
    std::fwrite(rest.data(), 1, rest.size(), stdout);
    std::printf("\n");
    std::fflush(stdout);
    std::fprintf(stderr, "prompt: %lld tokens in %.1f ms (%.1f tok/s); generation: %zu tokens in %.1f ms (%.1f tok/s)\n",
                 static_cast<long long>(r.prompt_processed), r.prompt_ms, per_s(r.prompt_processed, r.prompt_ms),
                 r.tokens.size(), r.gen_ms, per_s(static_cast<int64_t>(r.tokens.size()), r.gen_ms));
    if (drafter)
      std::fprintf(stderr, "speculative: %lld of %lld drafted tokens accepted (%.0f%%) in %lld batches\n",
                   static_cast<long long>(spec.accepted), static_cast<long long>(spec.drafted),
                   spec.drafted > 0 ? 100.0 * spec.accepted / spec.drafted : 0.0, static_cast<long long>(spec.batches));
    if (r.shifted_tokens > 0)
      std::fprintf(stderr, "[context shifted: %lld oldest tokens dropped]\n", static_cast<long long>(r.shifted_tokens));
    if (r.stop == engine::StopReason::context_full)
      std::fprintf(stderr, "[stopped: the context of %lld tokens is full; raise --ctx-size or pass --context-shift]\n",
                   static_cast<long long>(session.n_ctx()));
  }
  return kExitOk;
}

}  // namespace

Command run_command() {
  return {"run", "Generate text from a prompt with a local GGUF model", [](CLI::App& app) {
    auto f = std::make_shared<RunFlags>();
    add_generation_flags(app, f->gen);
    app.add_option("-p,--prompt", f->prompt, "Prompt text")->required();
    app.add_flag("--no-bos", f->no_bos, "Do not add the BOS token the vocabulary asks for");
    app.add_flag("--json", f->gen.json, "Print one JSON object (tokens, text, timings) instead of streaming");
    return [f]() { return run(*f); };
  }};
}

}  // namespace hearth::cli
