#include "hub/download.h"

#include <httplib.h>

#include <charconv>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <regex>

#include "core/error.h"
#include "core/sha256.h"

namespace hearth::hub {
namespace {

struct Url {
  std::string origin;  // scheme://host[:port]
  std::string path;
};

Url split_url(const std::string& url) {
  static const std::regex re(R"(^(https?://[^/]+)(/.*)?$)");
  std::smatch m;
  if (!std::regex_match(url, m, re)) fail(Errc::invalid_argument, "not an http(s) URL: " + url);
  return {m[1].str(), m[2].matched ? m[2].str() : "/"};
}

// Hugging Face sends the LFS object's SHA-256 as X-Linked-Etag (ETag on the final hop).
std::string sha_from_headers(const httplib::Response& res) {
  for (const char* h : {"X-Linked-Etag", "x-linked-etag", "ETag", "etag"}) {
    if (!res.has_header(h)) continue;
    std::string v = res.get_header_value(h);
    if (v.rfind("W/", 0) == 0) v = v.substr(2);
    if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
    static const std::regex hex64("^[0-9a-fA-F]{64}$");
    if (std::regex_match(v, hex64)) {
      for (auto& c : v) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      return v;
    }
  }
  return "";
}

void hash_file_into(Sha256& h, const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::vector<char> buf(1 << 20);
  while (in) {
    in.read(buf.data(), buf.size());
    auto n = in.gcount();
    if (n > 0) h.update(buf.data(), static_cast<size_t>(n));
  }
}

}  // namespace

std::string sha256_file(const std::string& path) {
  if (!std::filesystem::exists(path)) fail(Errc::not_found, path + ": no such file");
  Sha256 h;
  hash_file_into(h, path);
  return to_hex(h.finish());
}

DownloadResult download(const std::string& url, const std::string& dest, const ProgressFn& progress) {
  namespace fs = std::filesystem;
  Url u = split_url(url);
  std::string partial = dest + ".partial";
  std::error_code ec;
  fs::create_directories(fs::path(dest).parent_path(), ec);

  DownloadResult result;
  result.resumed_from = fs::exists(partial) ? fs::file_size(partial) : 0;

  httplib::Client cli(u.origin);
  cli.set_follow_location(true);
  cli.set_connection_timeout(30);
  cli.set_read_timeout(60);
  httplib::Headers headers = {{"User-Agent", "hearth"}};
  if (result.resumed_from > 0) headers.emplace("Range", "bytes=" + std::to_string(result.resumed_from) + "-");

  std::FILE* out = nullptr;
  uint64_t total = 0;
  uint64_t done = 0;
  int status = 0;
  std::string write_error;
  Sha256 st;

  auto on_response = [&](const httplib::Response& res) {
    status = res.status;
    if (res.status == 206 && result.resumed_from > 0) {
      hash_file_into(st, partial);  // the bytes we already have count toward the hash
      out = std::fopen(partial.c_str(), "ab");
      done = result.resumed_from;
    } else if (res.status == 200) {
      result.resumed_from = 0;  // server ignored the range: start over
      out = std::fopen(partial.c_str(), "wb");
    } else {
      return false;
    }
    if (!out) {
      write_error = "cannot write " + partial;
      return false;
    }
    result.expected_sha256 = sha_from_headers(res);
    // A missing or malformed length only costs the progress bar and the short-read check.
    if (res.has_header("Content-Length")) {
      std::string v = res.get_header_value("Content-Length");
      uint64_t n = 0;
      auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
      if (ec == std::errc() && end == v.data() + v.size()) total = done + n;
    }
    return true;
  };
  auto on_data = [&](const char* data, size_t len) {
    if (std::fwrite(data, 1, len, out) != len) {
      write_error = "disk full or write error on " + partial;
      return false;
    }
    st.update(data, len);
    done += len;
    if (progress) progress(done, total);
    return true;
  };

  auto res = cli.Get(u.path, headers, on_response, on_data);
  if (out) std::fclose(out);
  if (!write_error.empty()) fail(Errc::io, write_error);
  if (status == 404) fail(Errc::not_found, url + ": not found (404)");
  if (status == 401 || status == 403)
    fail(Errc::auth, url + ": access refused (" + std::to_string(status) + "); the repository may be gated");
  if (status == 416 && result.resumed_from > 0) {
    // Our partial file is longer than the remote one: it cannot be a prefix of it.
    fs::remove(partial, ec);
    fail(Errc::network, url + ": the server refused to resume (416); the partial download was discarded, retry");
  }
  if (status != 0 && status != 200 && status != 206)
    fail(Errc::network, url + ": server answered HTTP " + std::to_string(status));
  if (res.error() != httplib::Error::Success) {
    std::string why = httplib::to_string(res.error());
    if (status == 0)
      fail(Errc::network, url + ": cannot reach the server (" + why + "); check the network or HEARTH_HF_ENDPOINT");
    fail(Errc::network, url + ": download interrupted (" + why + ") after " + std::to_string(done) +
                            " bytes; run the same command again to resume");
  }
  if (total != 0 && done != total)
    fail(Errc::network, url + ": connection closed after " + std::to_string(done) + " of " +
                            std::to_string(total) + " bytes; run the same command again to resume");

  result.sha256 = to_hex(st.finish());
  result.bytes = done;
  if (!result.expected_sha256.empty() && result.expected_sha256 != result.sha256) {
    fs::remove(partial, ec);
    fail(Errc::format, url + ": checksum mismatch (expected sha256 " + result.expected_sha256 + ", got " +
                           result.sha256 + "); the download was discarded");
  }
  fs::rename(partial, dest, ec);
  if (ec) fail(Errc::io, "cannot move " + partial + " to " + dest + ": " + ec.message());
  return result;
}

}  // namespace hearth::hub
