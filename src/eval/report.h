// `hearth eval report`: one self-contained HTML file for one or more finished runs. The page
// carries the runs' results as JSON and the web UI's own chart module (web/src/eval_charts.ts,
// built as a standalone script and embedded in the binary), so the report and the web UI's
// Evaluations page draw the same charts with the same code. Nothing is fetched: no CDN, no fonts,
// and a Content-Security-Policy that forbids network access.
#pragma once
#include <string>
#include <vector>

#include "core/json.h"

namespace hearth::eval {

// The path under which the chart bundle is embedded (see cmake/EmbedWeb.cmake).
inline constexpr const char* kReportScriptPath = "/report/eval-report.js";

// `runs` are chart views (chart_view() in run_store.h). Throws Error(internal) when this build
// has no embedded report script, Error(invalid_argument) when `runs` is empty.
std::string render_report_html(const std::vector<ordered_json>& runs, const std::string& title);

}  // namespace hearth::eval
