// Stored Responses-API responses: what `store: true` keeps so a later request can continue with
// previous_response_id instead of resending the conversation. One JSON file per response under a
// folder of $HEARTH_HOME; files older than the retention period are removed.
#pragma once
#include <chrono>
#include <filesystem>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "router/types.h"

namespace hearth::router {

struct StoredResponse {
  json response;                  // the response object as returned to the client
  std::vector<Message> messages;  // the conversation through this response (no instructions)
  std::string api_key_id;         // who made it: only that key may read, continue or delete it
};

class ResponseStore {
 public:
  // retention <= 0: nothing is kept (store requests are answered but not saved).
  ResponseStore(std::filesystem::path dir, std::chrono::seconds retention);
  bool enabled() const { return retention_.count() > 0; }
  void save(const std::string& id, const StoredResponse& r);
  // nullopt when absent, expired, or made by another key.
  std::optional<StoredResponse> load(const std::string& id, const std::string& api_key_id);
  bool remove(const std::string& id, const std::string& api_key_id);
  // A response id as hearth makes them (resp_ + letters/digits); others are never looked up.
  static bool valid_id(const std::string& id);

 private:
  std::filesystem::path file(const std::string& id) const;
  void prune();  // drops expired files (at most once a minute)
  std::filesystem::path dir_;
  std::chrono::seconds retention_;
  std::mutex mu_;
  std::chrono::steady_clock::time_point last_prune_{};
};

json message_to_json(const Message& m);
Message message_from_json(const json& j);  // throws ProviderError(bad_request) on a bad shape

}  // namespace hearth::router
