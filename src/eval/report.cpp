#include "eval/report.h"

#include <cctype>
#include <ctime>

#include "core/error.h"
#include "web/web_assets.h"

namespace hearth::eval {
namespace {

std::string html_escape(const std::string& s) {
  std::string o;
  for (char c : s) {
    switch (c) {
      case '&': o += "&amp;"; break;
      case '<': o += "&lt;"; break;
      case '>': o += "&gt;"; break;
      case '"': o += "&quot;"; break;
      default: o += c;
    }
  }
  return o;
}

// Text inside <script> ends at the first "</script" whatever the quoting, so every "<" in the
// JSON (which can only occur inside strings) becomes \u003c, and a "</script" in the bundle
// (only possible inside a string literal) becomes "<\/script", which means the same there.
std::string json_for_script(const ordered_json& j) {
  const std::string s = j.dump();
  std::string o;
  o.reserve(s.size());
  for (char c : s) {
    if (c == '<') o += "\\u003c";
    else o += c;
  }
  return o;
}

std::string script_for_inline(std::string_view js) {
  std::string o;
  o.reserve(js.size());
  for (size_t i = 0; i < js.size(); ++i) {
    o += js[i];
    if (js[i] != '<' || i + 7 >= js.size() || js[i + 1] != '/') continue;
    std::string word(js.substr(i + 2, 6));
    for (char& c : word) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (word == "script") o += '\\';
  }
  return o;
}

}  // namespace

std::string render_report_html(const std::vector<ordered_json>& runs, const std::string& title) {
  if (runs.empty()) fail(Errc::invalid_argument, "a report needs at least one run");
  const web::WebAsset* script = web::find_web_asset(kReportScriptPath);
  if (!script)
    fail(Errc::internal, std::string("this hearth build has no embedded report script (") + kReportScriptPath +
                             "); rebuild with the web UI (npm ci --prefix web)");
  ordered_json data = {{"format", "hearth-eval-report"}, {"version", 1}, {"title", title},
                       {"generated", static_cast<int64_t>(std::time(nullptr))}, {"runs", runs}};
  std::string h;
  h += "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
  h += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
  h += "<meta name=\"color-scheme\" content=\"light dark\">\n";
  // The page may not load anything: everything it shows is in this file.
  h += "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
       "script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:\">\n";
  h += "<meta name=\"generator\" content=\"hearth eval report\">\n";
  h += "<title>" + html_escape(title) + "</title>\n</head>\n<body>\n";
  h += "<main id=\"hearth-eval-report\"><noscript>This report draws its charts and table with JavaScript; "
       "the results are in the JSON block of this file.</noscript></main>\n";
  h += "<script type=\"application/json\" id=\"hearth-eval-data\">" + json_for_script(data) + "</script>\n";
  h += "<script>" + script_for_inline(script->body) + "</script>\n";
  h += "</body>\n</html>\n";
  return h;
}

}  // namespace hearth::eval
