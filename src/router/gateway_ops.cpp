// Operations endpoints of the standalone gateway (`hearth gateway`): /health and Prometheus
// /metrics over the router's per-target counters and circuits. `hearth serve` appends the same
// router metrics to its own /metrics.
#include <httplib.h>

#include <sstream>

#include "router/gateway.h"
#include "router/gateway_internal.h"
#include "router/wire_logprobs.h"

namespace hearth::router {
namespace {

std::string label(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

int breaker_value(BreakerState s) { return s == BreakerState::closed ? 0 : s == BreakerState::open ? 1 : 2; }

}  // namespace

std::string router_metrics(const Router& r) {
  std::ostringstream o;
  const auto all = r.all_stats();
  o << "# HELP hearth_router_attempts_total Attempts at each target (provider:model) by result.\n"
       "# TYPE hearth_router_attempts_total counter\n";
  for (const auto& [ref, s] : all) {
    o << "hearth_router_attempts_total{target=\"" << label(ref) << "\",result=\"ok\"} " << s.succeeded << '\n';
    o << "hearth_router_attempts_total{target=\"" << label(ref) << "\",result=\"error\"} " << s.failed << '\n';
  }
  o << "# HELP hearth_router_in_flight Requests at each target now.\n# TYPE hearth_router_in_flight gauge\n";
  for (const auto& [ref, s] : all) o << "hearth_router_in_flight{target=\"" << label(ref) << "\"} " << s.in_flight << '\n';
  o << "# HELP hearth_router_ttft_ms Moving average of time to first token.\n# TYPE hearth_router_ttft_ms gauge\n";
  for (const auto& [ref, s] : all)
    if (s.samples > 0) o << "hearth_router_ttft_ms{target=\"" << label(ref) << "\"} " << s.ttft_ms << '\n';
  o << "# HELP hearth_router_circuit Circuit state per target: 0 closed, 1 open, 2 half-open.\n"
       "# TYPE hearth_router_circuit gauge\n";
  for (const auto& [ref, s] : all)
    o << "hearth_router_circuit{target=\"" << label(ref) << "\"} " << breaker_value(r.breaker(ref)) << '\n';
  const Router::OverheadHistogram h = r.overhead();
  o << "# HELP hearth_router_overhead_seconds Time the router adds to a request: all of it but the provider calls and the waits between retries.\n"
       "# TYPE hearth_router_overhead_seconds histogram\n";
  uint64_t below = 0;
  for (size_t i = 0; i < std::size(Router::kOverheadBoundsMs); ++i) {
    below += h.counts[i];
    o << "hearth_router_overhead_seconds_bucket{le=\"" << Router::kOverheadBoundsMs[i] / 1000 << "\"} " << below << '\n';
  }
  o << "hearth_router_overhead_seconds_bucket{le=\"+Inf\"} " << h.total << '\n';
  o << "hearth_router_overhead_seconds_sum " << h.sum_ms / 1000 << '\n';
  o << "hearth_router_overhead_seconds_count " << h.total << '\n';
  return o.str();
}

void Gateway::mount_ops(httplib::Server& s) {
  auto h = std::make_shared<GatewayHandlers>(GatewayHandlers{*this});
  s.Get("/health", [this](const httplib::Request&, httplib::Response& res) {
    json open = json::array();
    for (const auto& [ref, st] : router_.all_stats())
      if (router_.breaker(ref) != BreakerState::closed) open.push_back(ref);
    res.set_content(openai::dump(json{{"status", "ok"}, {"providers", router_.config().providers.size()},
                                       {"models", router_.config().models.size()}, {"open_circuits", open}}),
                    "application/json");
  });
  s.Get("/metrics", h->guarded(Dialect::openai, [this, h](const httplib::Request& req, httplib::Response& res) {
    h->authenticate(req);
    std::string text = "# HELP hearth_gateway_up 1 while the gateway serves.\n# TYPE hearth_gateway_up gauge\nhearth_gateway_up 1\n";
    text += router_metrics(router_);
    res.set_content(text, "text/plain; version=0.0.4");
  }));
}

}  // namespace hearth::router
