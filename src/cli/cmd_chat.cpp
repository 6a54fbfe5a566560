// `hearth chat`: interactive multi-turn chat on stdin/stdout. Each turn re-renders the whole
// conversation with the chat template, and the session reuses the KV cache for the prefix it
// has already seen, so only the new turn's tokens are processed.
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <memory>
#include <sstream>

#include "cli/command.h"
#include "cli/file_input.h"
#include "cli/env_options.h"
#include "cli/chat_terminal.h"
#include "core/error.h"
#include "engine/chat_format.h"
#include "cli/generation_flags.h"
#include "engine/generate.h"
#include "engine/loader.h"

namespace hearth::cli {
namespace {

struct ChatFlags {
  GenerationFlags gen;
  std::string system;
  std::string template_file;
  bool verbose = false;
};

int run(const ChatFlags& f) {
  if (f.gen.n_ctx < 0) fail(Errc::invalid_argument, "--ctx-size must be >= 0");
  sampling::validate(f.gen.sampling);
  std::string tmpl;
  if (!f.template_file.empty()) tmpl = read_input_file(f.template_file, "--chat-template");
  const auto grammar = grammar_from_flags(f.gen);
  model::LoadOptions load = load_options_from_env();
  apply_gpu_flags(f.gen.gpu, load);
  auto lm = engine::load_model(f.gen.model, load);
  engine::ChatFormatter fmt(lm.model->file(), *lm.tokenizer, tmpl);
  if (fmt.is_fallback())
    std::fprintf(stderr, "hearth chat: the model has no chat template; using a plain ChatML-style format\n");
  engine::Session session(lm.model, lm.tokenizer, session_options(f.gen));
  auto drafter = drafter_from_flags(f.gen, lm, session_options(f.gen), load);
  engine::SpeculativeStats spec;
  sampling::Sampler sampler(f.gen.sampling, static_cast<int32_t>(lm.model->n_vocab()));

  const bool interactive = isatty(STDIN_FILENO);
  std::vector<engine::ChatMessage> messages;
  if (!f.system.empty()) messages.push_back({"system", f.system});
  int turn = 0;
  std::string line;
  for (ChatInput in; (in = read_chat_input(interactive, line)) != ChatInput::exit;) {
    if (in == ChatInput::reset) {
      messages.resize(f.system.empty() ? 0 : 1);
      session.reset();
      sampler.reset();
      std::fprintf(stderr, "[history and cache cleared]\n");
      continue;
    }

    messages.push_back({"user", line});
    std::vector<int32_t> prompt = fmt.tokenize(messages, true);
    if (f.gen.context_shift) {
      // The conversation is re-rendered each turn, so the shift happens on messages: the oldest
      // turns after the system message go until this one fits (with room to answer).
      const size_t first = f.system.empty() ? 0 : 1;
      size_t dropped = 0;
      while (static_cast<int64_t>(prompt.size()) >= session.n_ctx() && messages.size() > first + 1) {
        // Whole exchanges: many templates insist that user and assistant alternate from a user.
        do {
          messages.erase(messages.begin() + static_cast<std::ptrdiff_t>(first));
          ++dropped;
        } while (messages.size() > first + 1 && messages[first].role != "user");
        prompt = fmt.tokenize(messages, true);
      }
      if (dropped > 0) std::fprintf(stderr, "[context shifted: %zu earliest messages dropped]\n", dropped);
    }
    if (static_cast<int64_t>(prompt.size()) >= session.n_ctx()) {
      messages.pop_back();
      print_error("this turn would need " + std::to_string(prompt.size()) + " tokens but the context holds " +
                  std::to_string(session.n_ctx()) + "; use /reset or a larger --ctx-size");
      continue;
    }
    ++turn;
    sampler.reset();
    if (grammar) sampler.set_constraint(std::make_unique<sampling::GrammarConstraint>(grammar, lm.token_bytes));
    tokenizer::StreamDecoder dec(*lm.tokenizer);
    engine::GenerateResult r;
    // The guard lasts until the turn's statistics are out: a Ctrl-C that lands just after the
    // reply ended (or after it was stopped) must not end the session with the default action.
    ReplySigint guard;
    {
      r = engine::generate_speculative(
          session, sampler, prompt, f.gen.n_predict,
          [&](int32_t tok) {
            std::string piece = dec.push(tok);
            std::fwrite(piece.data(), 1, piece.size(), stdout);
            std::fflush(stdout);
            return true;
          },
          drafter.get(), f.gen.speculative, &spec, &ReplySigint::fired());
    }
    std::string rest = dec.flush();
    std::fwrite(rest.data(), 1, rest.size(), stdout);
    std::printf("\n");
    std::fflush(stdout);
    if (r.stop == engine::StopReason::cancelled) std::fprintf(stderr, "[reply stopped]\n");
    if (r.stop == engine::StopReason::context_full)
      std::fprintf(stderr, "[context full: use /reset, a larger --ctx-size or --context-shift]\n");
    if (r.shifted_tokens > 0)
      std::fprintf(stderr, "[context shifted: %lld oldest tokens dropped]\n", static_cast<long long>(r.shifted_tokens));
    messages.push_back({"assistant", lm.tokenizer->decode(r.tokens)});
    if (f.verbose)
      std::fprintf(stderr,
                   "[turn %d] prompt_tokens=%lld processed=%lld reused=%lld generated=%zu prompt_ms=%.1f gen_ms=%.1f\n",
                   turn, static_cast<long long>(r.prompt_tokens), static_cast<long long>(r.prompt_processed),
                   static_cast<long long>(r.prompt_tokens - r.prompt_processed), r.tokens.size(), r.prompt_ms,
                   r.gen_ms);
    if (f.verbose && drafter)
      std::fprintf(stderr, "[turn %d] speculative: drafted=%lld accepted=%lld (whole session)\n", turn,
                   static_cast<long long>(spec.drafted), static_cast<long long>(spec.accepted));
  }
  return kExitOk;
}

}  // namespace

Command chat_command() {
  return {"chat", "Chat with a local GGUF model on stdin/stdout", [](CLI::App& app) {
    auto f = std::make_shared<ChatFlags>();
    f->gen.n_predict = 256;
    add_generation_flags(app, f->gen);
    app.add_option("--system", f->system, "System message");
    app.add_option("--chat-template", f->template_file, "Jinja chat template file (default: the model's)");
    app.add_flag("-v,--verbose", f->verbose, "Per-turn statistics on stderr (tokens processed vs reused)");
    app.footer(
        "One message per line. /reset clears the history and the cache, /exit (or end of input) quits.\n"
        "Ctrl-C stops the reply being generated and keeps the conversation.");
    return [f]() { return run(*f); };
  }};
}

}  // namespace hearth::cli
