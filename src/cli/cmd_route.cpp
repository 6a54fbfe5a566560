// `hearth route`: one request through the router from the command line, with who answered, every
// attempt, latency, tokens and cost.
#include <cstdio>

#include "cli/command.h"
#include "router/router.h"

namespace hearth::cli {

Command route_command() {
  return {"route", "Send one prompt through the router and show how it was routed", [](CLI::App& app) {
    struct Opts {
      std::string config, prompt, model, system;
      int max_tokens = 0;
      bool json_out = false, local_only = false, stream = false;
    };
    auto o = std::make_shared<Opts>();
    app.add_option("--config", o->config, "Router config (YAML)")->required();
    app.add_option("-p,--prompt", o->prompt, "The prompt")->required();
    app.add_option("--model", o->model, "provider:model, alias or policy (default: the config's default_model)");
    app.add_option("--system", o->system, "System prompt");
    app.add_option("--max-tokens", o->max_tokens, "Output token limit");
    app.add_flag("--json", o->json_out, "Machine-readable output");
    app.add_flag("--local-only", o->local_only, "Refuse every remote provider");
    app.add_flag("--stream", o->stream, "Stream the answer as it arrives");
    return [o]() {
      return run_guarded([&]() {
        router::RouterOptions ropts;
        ropts.local_only = o->local_only;
        router::Router r(router::load_config(o->config), ropts);
        router::ChatRequest req;
        req.model = o->model;
        req.request_id = "cli";
        if (!o->system.empty()) req.messages.push_back({router::Role::system, o->system});
        req.messages.push_back({router::Role::user, o->prompt});
        if (o->max_tokens > 0) req.max_tokens = o->max_tokens;
        router::ChatResponse resp;
        try {
          if (o->stream) {
            router::Accumulator acc;
            resp.route = r.stream(req, [&](const router::StreamEvent& e) {
              acc.add(e);
              if (!o->json_out && e.kind == router::StreamEvent::Kind::text) {
                std::fwrite(e.text.data(), 1, e.text.size(), stdout);
                std::fflush(stdout);
              }
              return true;
            });
            auto info = resp.route;
            resp = acc.take();
            resp.route = info;
            if (!o->json_out) std::printf("\n");
          } else {
            resp = r.chat(req);
            if (!o->json_out) std::printf("%s\n", resp.message.content.c_str());
          }
        } catch (const router::RouteError& e) {
          if (o->json_out) {
            std::printf("%s\n", json{{"error", e.what()}, {"kind", router::error_kind_name(e.kind())}, {"route", e.info().to_json()}}.dump().c_str());
          } else {
            for (const auto& a : e.info().attempts)
              std::fprintf(stderr, "  attempt %s:%s  %s  %.1f ms  %s\n", a.provider.c_str(), a.model.c_str(), a.status.c_str(), a.latency_ms, a.error.c_str());
          }
          throw;
        }
        const auto& ri = resp.route;
        if (o->json_out) {
          json calls = json::array();
          for (const auto& c : resp.message.tool_calls) calls.push_back({{"id", c.id}, {"name", c.name}, {"arguments", c.arguments}});
          json j = {{"content", resp.message.content}, {"reasoning", resp.message.reasoning}, {"tool_calls", calls},
                    {"stop_reason", router::stop_reason_name(resp.stop)},
                    {"usage", {{"input_tokens", resp.usage.input_tokens}, {"output_tokens", resp.usage.output_tokens}}},
                    {"route", ri.to_json()}};
          std::printf("%s\n", j.dump().c_str());
          return kExitOk;
        }
        std::printf("---\nprovider: %s (%s)\n", ri.provider.c_str(), ri.model.c_str());
        for (const auto& a : ri.attempts)
          std::printf("  attempt %s:%s  %s  %.1f ms%s%s\n", a.provider.c_str(), a.model.c_str(), a.status.c_str(), a.latency_ms,
                      a.error.empty() ? "" : "  ", a.error.c_str());
        std::printf("latency: %.1f ms  ttft: %.1f ms\ntokens: %lld in, %lld out\ncost: $%.6f\n", ri.latency_ms, ri.ttft_ms,
                    static_cast<long long>(resp.usage.input_tokens), static_cast<long long>(resp.usage.output_tokens), ri.cost_usd);
        return kExitOk;
      });
    };
  }};
}

}  // namespace hearth::cli
