#include "server/model_routes.h"

#include <httplib.h>

#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

#include "core/error.h"
#include "core/json.h"
#include "hub/model_store.h"
#include "server/json_reply.h"

namespace hearth::server {
namespace {

int status_of(const Error& e) {
  switch (e.code()) {
    case Errc::not_found: return 404;
    case Errc::invalid_argument: return 400;
    case Errc::network: return 502;
    default: return 500;
  }
}

// Parses the body and its string field `key` ("model", or Ollama's older "name"); answers 400.
bool field(const httplib::Request& req, httplib::Response& res, const char* key, std::string& out, json* body = nullptr) {
  json j = json::parse(req.body, nullptr, false);
  if (!j.is_object()) {
    send_json(res, 400, {{"error", "the request body must be a JSON object"}});
    return false;
  }
  const char* k = j.contains(key) ? key : (std::string(key) == "model" && j.contains("name") ? "name" : key);
  if (!j.contains(k) || !j[k].is_string() || j[k].get<std::string>().empty()) {
    send_json(res, 400, {{"error", std::string("'") + key + "' is required and must be a string"}});
    return false;
  }
  out = j[k];
  if (body) *body = std::move(j);
  return true;
}

// A pull streams its progress: the download runs on its own thread and the response's content
// provider forwards lines as they come (and stops the download if the client goes away).
struct PullStream {
  std::mutex mu;
  std::condition_variable cv;
  std::deque<std::string> lines;
  bool done = false, cancelled = false;
  void push(const json& j) {
    std::lock_guard<std::mutex> lk(mu);
    lines.push_back(j.dump() + "\n");
    cv.notify_all();
  }
};

void pull(const httplib::Request& req, httplib::Response& res, const std::string& endpoint) {
  json body;
  std::string name;
  if (!field(req, res, "model", name, &body)) return;
  const bool stream = !body.contains("stream") || !body["stream"].is_boolean() || body["stream"].get<bool>();
  if (!stream) {
    try {
      hub::pull(name, {}, endpoint);
      send_json(res, 200, {{"status", "success"}});
    } catch (const Error& e) {
      send_json(res, status_of(e), {{"error", e.what()}});
    }
    return;
  }
  auto ps = std::make_shared<PullStream>();
  auto worker = std::make_shared<std::thread>([ps, name, endpoint] {
    ps->push({{"status", "pulling " + name}});
    try {
      hub::pull(name, [ps](uint64_t done, uint64_t total) {
        std::lock_guard<std::mutex> lk(ps->mu);
        if (ps->cancelled) throw Error(Errc::cancelled, "the client went away");
        ps->lines.push_back(json{{"status", "downloading"}, {"total", total}, {"completed", done}}.dump() + "\n");
        ps->cv.notify_all();
      }, endpoint);
      ps->push({{"status", "verifying sha256 digest"}});
      ps->push({{"status", "success"}});
    } catch (const Error& e) {
      ps->push({{"error", e.what()}});
    }
    std::lock_guard<std::mutex> lk(ps->mu);
    ps->done = true;
    ps->cv.notify_all();
  });
  res.set_chunked_content_provider(
      "application/x-ndjson",
      [ps](size_t, httplib::DataSink& sink) {
        std::unique_lock<std::mutex> lk(ps->mu);
        ps->cv.wait(lk, [&] { return !ps->lines.empty() || ps->done; });
        while (!ps->lines.empty()) {
          std::string l = std::move(ps->lines.front());
          ps->lines.pop_front();
          lk.unlock();
          if (!sink.write(l.data(), l.size())) return false;
          lk.lock();
        }
        if (ps->done) sink.done();
        return true;
      },
      [ps, worker](bool) {
        {
          std::lock_guard<std::mutex> lk(ps->mu);
          ps->cancelled = true;
        }
        worker->join();
      });
}

}  // namespace

void mount_model_routes(httplib::Server& s, const ModelRouteOptions& opts) {
  auto guard = [opts](auto fn) {
    return [opts, fn](const httplib::Request& req, httplib::Response& res) {
      if (opts.authorize && !opts.authorize(req)) return send_json(res, 401, {{"error", "invalid or missing API key"}});
      fn(req, res);
    };
  };
  s.Post("/api/pull", guard([opts](const httplib::Request& req, httplib::Response& res) { pull(req, res, opts.endpoint); }));
  s.Delete("/api/delete", guard([opts](const httplib::Request& req, httplib::Response& res) {
    std::string name;
    if (!field(req, res, "model", name)) return;
    try {
      hub::remove_model(name);
      if (opts.removed) opts.removed(name);
      res.status = 200;
    } catch (const Error& e) {
      send_json(res, status_of(e), {{"error", e.what()}});
    }
  }));
  s.Post("/api/copy", guard([](const httplib::Request& req, httplib::Response& res) {
    std::string source, destination;
    json body;
    if (!field(req, res, "source", source, &body) || !field(req, res, "destination", destination)) return;
    try {
      hub::copy_model(source, destination);
      res.status = 200;
    } catch (const Error& e) {
      send_json(res, status_of(e), {{"error", e.what()}});
    }
  }));
}

}  // namespace hearth::server
