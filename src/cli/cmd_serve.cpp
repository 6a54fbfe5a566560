// `hearth serve`: the OpenAI/Ollama/Anthropic-compatible server and web chat UI for a local
// model (assembled by src/app/model_server.h).
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <thread>

#include "cli/command.h"
#include "cli/env_options.h"
#include "cli/file_input.h"
#include "cli/generation_flags.h"
#include "cli/parse_size.h"
#include "cli/progress_bar.h"
#include "core/log.h"
#include "hub/catalog.h"
#include "hub/model_store.h"
#include "app/model_server.h"
#include "router/wire_ollama.h"

namespace hearth::cli {
namespace {

// With no -m, the catalog's default model, downloaded on first use.
std::string default_model_path() {
  const std::string name = hub::default_model().name;
  for (const auto& m : hub::list_models())
    if (m.name == name) return m.path;
  std::fprintf(stderr, "hearth: no model given; downloading the default model %s\n", name.c_str());
  ProgressBar bar(::isatty(STDERR_FILENO));
  auto m = hub::pull(name, [&](uint64_t d, uint64_t t) { bar.update(d, t); }, hf_endpoint_from_env());
  bar.finish();
  return m.path;
}

}  // namespace

Command serve_command() {
  return {"serve", "Serve a model over OpenAI/Ollama-compatible HTTP APIs with a web chat UI", [](CLI::App& app) {
    struct Opts {
      app::ServeOptions s;
      std::vector<std::string> models;
      std::string api_key, api_key_file, template_file, embed_model, keep_alive = "5m", max_memory;
      KvCacheFlags kv;
      GpuFlags gpu;
      std::string draft_model;
    };
    auto o = std::make_shared<Opts>();
    app.add_option("-m,--model", o->models,
                   "GGUF file or stored model name; repeat to serve several ([NAME=]FILE; the first is loaded at "
                   "start, the others when asked for). Default: " + hub::default_model().name + ", downloaded on first use");
    app.add_option("--models-dir", o->s.models_dir,
                   "Also serve the .gguf files of this folder by file name (default: the models `hearth pull` stored)");
    app.add_option("--keep-alive", o->keep_alive,
                   "How long a model other than the first stays loaded when idle (30s, 5m, 1h; -1: forever)")
        ->capture_default_str();
    app.add_option("--responses-retention", o->s.responses_retention_days,
                   "Days the Responses API keeps stored conversations (previous_response_id) under $HEARTH_HOME/responses; 0: store nothing")
        ->check(CLI::Range(0.0, 36500.0))
        ->capture_default_str();
    app.add_option("--max-models", o->s.max_models, "Models loaded at once; the least recently used idle one is unloaded")
        ->capture_default_str()->check(CLI::Range(1, 64));
    app.add_option("--max-memory", o->max_memory,
                   "Memory for loaded models (weights + KV cache), e.g. 8G (default: 80% of RAM)");
    app.add_option("--alias", o->s.model_name, "Name clients use for the model (default: file name without .gguf)");
    app.add_option("--host", o->s.host, "Address to bind")->capture_default_str();
    app.add_option("--port", o->s.port, "Port (0: any free port)")->capture_default_str()->check(CLI::Range(0, 65535));
    app.add_option("--parallel,--np", o->s.sched.parallel, "Requests generated at once (slots)")
        ->capture_default_str()->check(CLI::Range(1, 256));
    app.add_option("-c,--ctx-size", o->s.sched.n_ctx,
                   "KV cache size in tokens for all slots together, split evenly (default: parallel x model context, capped at 4096 each)");
    app.add_option("-t,--threads", o->s.sched.n_threads, "Compute threads (default: all cores)");
    add_kv_cache_flags(app, o->kv);
    add_gpu_flags(app, o->gpu);
    add_speculative_flags(app, o->draft_model, o->s.sched.lookup_ngram, o->s.sched.speculative);
    app.add_option("--queue", o->s.sched.queue_limit, "Requests that may wait for a slot before 503")
        ->capture_default_str()->check(CLI::Range(0, 100000));
    app.add_option("-b,--batch-size", o->s.sched.n_batch, "Most prompt tokens run in one step")
        ->capture_default_str()->check(CLI::Range(1, 1 << 20));
    app.add_option("--api-key", o->api_key, "Require this key (Authorization: Bearer KEY or x-api-key)");
    app.add_option("--api-key-file", o->api_key_file, "Read the key from the first line of this file");
    app.add_option("--allowed-origins,--cors-origin", o->s.allowed_origins,
                   "Browser origins that may call this server besides its own page and localhost pages "
                   "(comma-separated or repeated; https://*.example.com for subdomains; * = any)")
        ->delimiter(',');
    app.add_option("--config", o->s.router_config, "Router config (YAML) adding remote providers, aliases and policies");
    app.add_flag("--local-only", o->s.local_only, "Refuse every remote provider");
  app.add_flag("--strict-model", o->s.strict_model,
               "Answer 404 for unknown model names (default without --config: serve them with the one model)");
    app.add_option("--chat-template-file", o->template_file, "Jinja chat template to use instead of the model's");
    app.add_option("--system", o->s.system, "System message for chats that bring none (default: a pack's own)");
    app.add_option("--http-threads", o->s.http_threads, "Most HTTP connections served at once (a thread each, started as clients connect; default 1024)");
    o->s.memory = true;
    app.add_flag("--no-memory", [o](int64_t) { o->s.memory = false; },
                 "Do not open the memory store (no memory API, no memory in prompts)");
    app.add_option("--embed-model", o->embed_model,
                   "Memory embedding model: local:FILE.gguf, PROVIDER:MODEL or hash (default: as `hearth memory embedder`)");
    app.add_option("--memory-extract-model", o->s.memory_extract_model,
                   "Router model that turns chats into memories (default: `hearth memory extractor`, else the served model)");
    app.add_flag("--memory-default-on", o->s.memory_default_on,
                 "Add memories to every chat that does not opt out (default: only X-Hearth-Memory: on)");
    app.add_option("--eval-data", o->s.eval_data,
                   "Datasets of the built-in eval tasks that the web UI's Evaluations page can run "
                   "(GSM8K, MMLU, TruthfulQA, WikiText; default: $HEARTH_EVAL_DATA)");
    app.add_flag("--no-webui", [o](int64_t) { o->s.web_ui = false; }, "Do not serve the chat page at /");
    app.footer(
        "Endpoints: /v1/chat/completions /v1/completions /v1/embeddings /v1/models /v1/messages /api/chat "
        "/api/generate /api/tags /api/show /api/version /api/embed /health /metrics /tokenize /detokenize, "
        "and the chat page at /.");
    return [o]() {
      return run_guarded([&]() {
        if (!o->api_key.empty() && !o->api_key_file.empty())
          fail(Errc::invalid_argument, "give --api-key or --api-key-file, not both");
        if (!o->api_key.empty()) o->s.api_keys["default"] = o->api_key;
        if (!o->api_key_file.empty()) o->s.api_keys["default"] = read_key_file(o->api_key_file);
        if (!o->template_file.empty()) {
          std::ifstream in(o->template_file);
          if (!in) fail(Errc::not_found, "--chat-template-file: cannot read " + o->template_file);
          o->s.chat_template.assign(std::istreambuf_iterator<char>(in), {});
        }
        o->s.load = load_options_from_env();
        apply_gpu_flags(o->gpu, o->s.load);
        o->s.sched.kv_types = kv_types(o->kv);
        engine::require_one_drafter(o->draft_model, o->s.sched.lookup_ngram);  // bad usage before serving
        if (!o->draft_model.empty()) {
          o->s.sched.draft_model = hub::resolve_model_path(o->draft_model);
          o->s.sched.draft_load = o->s.load;
        }
        o->s.hf_endpoint = hf_endpoint_from_env();
        o->s.memory_embedder = embedder_choice(o->embed_model);
        o->s.keep_alive_s = router::ollama::parse_keep_alive(o->keep_alive);
        if (!o->max_memory.empty()) o->s.max_memory = parse_size(o->max_memory, "--max-memory");
        if (o->models.empty()) {
          o->s.model_path = default_model_path();
        } else {
          for (size_t i = 0; i < o->models.size(); ++i) {
            std::string spec = o->models[i], name;
            if (const size_t eq = spec.find('='); eq != std::string::npos && eq > 0 && !std::filesystem::exists(spec)) {
              name = spec.substr(0, eq);
              spec = spec.substr(eq + 1);
            }
            const std::string path = hub::resolve_model_path(spec);
            if (name.empty()) name = app::model_name_for(path);
            if (i == 0) {
              o->s.model_path = path;
              if (o->s.model_name.empty() && o->models[0] != spec) o->s.model_name = name;
            } else {
              o->s.more_models.push_back({name, path});
            }
          }
        }

        // Signals are taken by one thread with sigwait, so the server can stop cleanly.
        sigset_t set;
        sigemptyset(&set);
        sigaddset(&set, SIGINT);
        sigaddset(&set, SIGTERM);
        pthread_sigmask(SIG_BLOCK, &set, nullptr);

        app::ModelServer srv(o->s);
        srv.bind();
        std::printf("hearth: serving %s at %s\n", (o->s.model_name.empty() ? app::model_name_for(o->s.model_path) : o->s.model_name).c_str(), srv.url().c_str());
        if (!srv.memory_embedder().empty())
          std::printf("hearth: memory embeddings: %s\n", srv.memory_embedder().c_str());
        if (!srv.memory_extractor().empty())
          std::printf("hearth: memory extraction: %s\n", srv.memory_extractor().c_str());
        std::fflush(stdout);
        auto load_failed = std::make_shared<std::atomic<bool>>(false);
        srv.load_async([load_failed](const std::string& err) {
          if (err.empty()) {
            std::fprintf(stderr, "hearth: model ready\n");
          } else {
            std::fprintf(stderr, "hearth: error: %s\n", err.c_str());
            load_failed->store(true);
            ::kill(::getpid(), SIGTERM);  // nothing useful to serve
          }
        });
        int got = 0;
        std::thread waiter([&] {
          sigwait(&set, &got);
          srv.stop();
        });
        srv.listen();
        if (got == 0) {  // listen ended without a signal (bind lost): release the waiter
          ::kill(::getpid(), SIGTERM);
        }
        waiter.join();
        if (load_failed->load()) return kExitFailure;
        return kExitOk;
      });
    };
  }};
}

}  // namespace hearth::cli
