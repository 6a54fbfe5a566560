#pragma once
// The browser chat UI (web/), compiled into the binary by cmake/EmbedWeb.cmake so that
// `hearth serve` can answer GET / without any files on disk or requests to the internet.

#include <cstddef>
#include <span>
#include <string_view>

namespace hearth::web {

struct WebAsset {
  std::string_view path;          // URL path, e.g. "/index.html", "/assets/index-abc123.js"
  std::string_view content_type;  // full Content-Type value, with charset for text
  std::string_view etag;          // strong ETag, quoted: "\"<hash of the bytes>\""
  std::string_view body;          // the file's bytes
  bool immutable;                 // content-hashed file name: may be cached forever
};

// Looks up the asset for a request path. "/" (and "") mean "/index.html"; a query string or
// fragment is ignored. Returns nullptr for unknown paths (the server decides what 404 means).
const WebAsset* find_web_asset(std::string_view path);

// Every embedded file, sorted by path.
std::span<const WebAsset> web_assets();

// True when an If-None-Match request header value (a comma-separated list of ETags, possibly
// weak "W/..." ones, or "*") matches the asset, i.e. the answer should be 304 Not Modified.
bool etag_matches(const WebAsset& asset, std::string_view if_none_match);

// Cache-Control value for the asset: hashed bundles are immutable, everything else (index.html)
// must be revalidated so a new binary's UI shows up on the next load.
std::string_view cache_control(const WebAsset& asset);

}  // namespace hearth::web
