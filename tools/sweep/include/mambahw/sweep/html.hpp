// The sweep's HTML report: one self-contained page (no network access when
// opened) with Vega-Lite plots, each followed by the table of its data.
// The plotting libraries are npm packages (tools/sweep/html/package.json,
// pinned by package-lock.json, installed by tools/install-deps.sh with
// npm ci) read when the page is written and inlined into it.
#pragma once

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace mambahw::sweep {

struct PlotAssets {
  std::vector<std::pair<std::string, std::string>> scripts;  // (package file, its text), in load order
};
// vega, vega-lite and vega-embed from `dir` (default: MAMBAHW_PLOT_ASSETS, else
// the source tree's tools/sweep/html/node_modules); a missing file is an
// error that says how to install them.
PlotAssets plot_assets(const std::filesystem::path& dir = {});
// The page for a merged sweep report (the JSON of results.json).
std::string render_html(const nlohmann::json& results, const PlotAssets& assets);

}  // namespace mambahw::sweep
