#include "router/http_pool.h"

#include <poll.h>

#include <map>
#include <string>

namespace hearth::router {
namespace {

// A socket the peer has closed (or sent unsolicited bytes on) must not carry a new request:
// readable-with-nothing-to-read means EOF, readable-with-data means the stream is out of step.
bool socket_idle_and_open(socket_t s) {
  if (s == INVALID_SOCKET) return false;
  pollfd p{s, POLLIN, 0};
  return ::poll(&p, 1, 0) == 0;
}

// Idle connections older than this are dropped rather than risked: servers commonly close
// keep-alive connections after 5-60 s of silence.
constexpr auto kIdleLimit = std::chrono::seconds(30);

struct Registry {
  std::mutex mu;
  std::map<std::string, std::unique_ptr<ConnectionPool>> pools;  // lives until exit
};
Registry& registry() {
  static Registry r;
  return r;
}

}  // namespace

void ConnectionPool::close_all_idle() {
  auto& r = registry();
  std::lock_guard<std::mutex> lk(r.mu);
  for (auto& [_, p] : r.pools) {
    std::vector<Idle> gone;
    std::lock_guard<std::mutex> plk(p->mu_);
    gone.swap(p->idle_);
  }
}

ConnectionPool& ConnectionPool::get(const Endpoint& ep, const HttpOptions& o) {
  auto& r = registry();
  auto& mu = r.mu;
  auto& pools = r.pools;
  std::string key = ep.origin + '|' + std::to_string(o.connect_timeout_ms) + '|' + std::to_string(o.read_timeout_ms) +
                    '|' + std::to_string(o.max_idle_connections);
  std::lock_guard<std::mutex> lk(mu);
  auto& p = pools[key];
  if (!p) p = std::make_unique<ConnectionPool>(ep, o);
  return *p;
}

std::unique_ptr<httplib::Client> ConnectionPool::make() const {
  auto cli = std::make_unique<httplib::Client>(ep_.origin);
  cli->set_connection_timeout(std::chrono::milliseconds(opts_.connect_timeout_ms));
  cli->set_read_timeout(std::chrono::milliseconds(opts_.read_timeout_ms));
  cli->set_write_timeout(std::chrono::milliseconds(opts_.read_timeout_ms));
  cli->set_keep_alive(opts_.max_idle_connections > 0);
  cli->set_tcp_nodelay(true);  // a request body must not wait for a delayed ACK
  return cli;
}

ConnectionPool::Lease ConnectionPool::checkout() {
  std::vector<Idle> stale;  // closed outside the lock
  Lease lease;
  {
    std::lock_guard<std::mutex> lk(mu_);
    auto now = std::chrono::steady_clock::now();
    while (!idle_.empty()) {
      Idle it = std::move(idle_.back());
      idle_.pop_back();
      if (now - it.since < kIdleLimit && it.client->is_socket_open() && socket_idle_and_open(it.client->socket())) {
        lease.client = std::move(it.client);
        lease.reused = true;
        break;
      }
      stale.push_back(std::move(it));
    }
  }
  if (!lease.client) lease.client = make();
  return lease;
}

void ConnectionPool::give_back(std::unique_ptr<httplib::Client> c) {
  if (!c || !c->is_socket_open()) return;  // the upstream said Connection: close
  std::lock_guard<std::mutex> lk(mu_);
  if (static_cast<int>(idle_.size()) >= opts_.max_idle_connections) return;  // bounded: c closes on return
  idle_.push_back({std::move(c), std::chrono::steady_clock::now()});
}

size_t ConnectionPool::idle_count() {
  std::lock_guard<std::mutex> lk(mu_);
  return idle_.size();
}

}  // namespace hearth::router
