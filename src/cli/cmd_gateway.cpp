// `hearth gateway`: the router's OpenAI/Anthropic/Ollama-compatible HTTP gateway on its own.
// (`hearth serve` mounts the same Gateway next to the local engine and web UI.)
#include <httplib.h>

#include <cstdio>

#include "cli/command.h"
#include "core/version.h"
#include "core/log.h"
#include "core/paths.h"
#include "router/gateway.h"
#include "router/http_guard.h"
#include "router/http_workers.h"
#include "router/server_stop.h"

namespace hearth::cli {

Command gateway_command() {
  return {"gateway", "Serve OpenAI/Anthropic/Ollama-compatible endpoints routed across providers", [](CLI::App& app) {
    struct Opts {
      std::string config, host = "127.0.0.1", api_key;
      std::vector<std::string> allowed_origins;
      int port = 8080, threads = router::kDefaultMaxConnections;
      bool local_only = false;
    };
    auto o = std::make_shared<Opts>();
    app.add_option("--config", o->config, "Router config (YAML)")->required();
    app.add_option("--host", o->host, "Address to bind (default loopback)");
    app.add_option("--port", o->port, "Port (0 = pick a free one and print it)");
    app.add_option("--threads", o->threads, "Most connections served at once (a thread each, started as clients connect; more wait their turn)")->check(CLI::Range(1, 4096));
    app.add_option("--api-key", o->api_key, "Require this key from clients (Bearer or x-api-key)");
    app.add_flag("--local-only", o->local_only, "Refuse every remote provider");
    app.add_option("--allowed-origins", o->allowed_origins,
                   "Browser origins that may call this gateway besides localhost pages (comma-separated; * = any)")
        ->delimiter(',');
    return [o]() {
      return run_guarded([&]() {
        auto cfg = router::load_config(o->config);
        router::RouterOptions ropts;
        ropts.local_only = o->local_only;
        router::GatewayOptions gopts;
        gopts.api_keys = cfg.api_keys;
        if (!o->api_key.empty()) gopts.api_keys["cli"] = o->api_key;
        gopts.version = hearth::version();
        try {
          gopts.responses_dir = hearth_home() / "responses";
        } catch (const Error&) {
          // no data folder: the Responses API answers but stores nothing
        }
        router::Router r(std::move(cfg), ropts);
        // Virtual keys from `hearth keys create`, read at each request.
        try {
          r.set_keys(std::make_shared<router::KeyStore>(router::KeyStore::default_path()));
        } catch (const Error& e) {
          log::warn(std::string("gateway: virtual keys unavailable: ") + e.what());
        }
        bool loopback = o->host == "127.0.0.1" || o->host == "::1" || o->host == "localhost";
        if (!loopback && gopts.api_keys.empty() && !(r.keys() && r.keys()->any_active()))
          log::warn("gateway: binding " + o->host + " without an API key: anyone who can reach this port can spend your provider credit");
        router::Gateway gw(r, gopts);
        httplib::Server server;
        int threads = o->threads;
        server.new_task_queue = [threads] { return new router::GrowingThreadPool(static_cast<size_t>(threads)); };
        router::HttpGuardOptions guard;
        guard.bind_host = o->host;
        guard.allowed_origins = o->allowed_origins;
        router::install_http_guard(server, guard);
        router::use_exclusive_port(server);
        gw.mount(server);
        gw.mount_ops(server);
        int port = o->port;
        if (port == 0) {
          port = server.bind_to_any_port(o->host);
          if (port < 0) fail(Errc::io, "cannot bind " + o->host);
        } else if (!server.bind_to_port(o->host, port)) {
          fail(Errc::io, "cannot bind " + o->host + ":" + std::to_string(port) +
                             " (is another server using it? pick one with --port)");
        }
        gw.widen_listen_backlog();
        std::printf("hearth gateway listening on http://%s:%d\n", o->host.c_str(), port);
        std::fflush(stdout);
        const router::StopOnSignals stop_on_signals(server, port);
        server.listen_after_bind();
        return kExitOk;
      });
    };
  }};
}

}  // namespace hearth::cli
