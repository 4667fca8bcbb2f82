#include "mambahw/sweep/html.hpp"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include <fmt/core.h>

namespace mambahw::sweep {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr const char* kScripts[] = {"vega/build/vega.min.js", "vega-lite/build/vega-lite.min.js",
                                    "vega-embed/build/vega-embed.min.js"};

std::string escape(const std::string& s) {
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

// Code inside <script>: "</script" (any case) would end the element early;
// "<\/script" means the same in a JavaScript string or regular expression.
std::string script_safe(std::string s) {
  for (std::size_t i = 0; (i = s.find("</", i)) != std::string::npos; i += 3) {
    std::string tag = s.substr(i + 2, 6);
    for (char& c : tag) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (tag == "script") s.replace(i, 2, "<\\/");
  }
  return s;
}

// JSON inside <script>: every "</" as "<\/" (the same string in JSON).
std::string json_safe(std::string s) {
  for (std::size_t i = 0; (i = s.find("</", i)) != std::string::npos; i += 3) s.replace(i, 2, "<\\/");
  return s;
}

std::string cell(const json& v) {
  if (v.is_null()) return "";
  if (v.is_string()) return escape(v.get<std::string>());
  if (v.is_number_float()) return fmt::format("{:.5g}", v.get<double>());
  return escape(v.dump());
}

// The value at a dotted path of nested objects (a report table's dotted column key), or null.
json at_path(const json& r, const std::string& path) {
  const json* cur = &r;
  for (std::size_t b = 0;;) {
    const std::size_t e = path.find('.', b);
    const std::string k = path.substr(b, e == std::string::npos ? std::string::npos : e - b);
    if (!cur->is_object() || !cur->contains(k)) return nullptr;
    cur = &(*cur)[k];
    if (e == std::string::npos) return *cur;
    b = e + 1;
  }
}

// An HTML table of `rows` (JSON objects) with the given columns.
std::string table(const json& rows, const std::vector<std::string>& cols, const std::string& id) {
  std::string h = fmt::format("<details><summary>data ({} rows)</summary><table id=\"{}\"><thead><tr>", rows.size(), id);
  for (const auto& c : cols) h += "<th>" + escape(c) + "</th>";
  h += "</tr></thead><tbody>\n";
  for (const json& r : rows) {
    h += "<tr>";
    for (const auto& c : cols) h += "<td>" + cell(at_path(r, c)) + "</td>";
    h += "</tr>\n";
  }
  return h + "</tbody></table></details>\n";
}

json ok_points(const json& points) {
  json out = json::array();
  for (const json& p : points)
    if (p.value("status", "") == "ok") out.push_back(p);
  return out;
}

// A Vega-Lite bar chart of `field` stacked by `by` per sweep point.
json stacked(const json& values, const std::string& field, const std::string& by, const std::string& title) {
  return {{"$schema", "https://vega.github.io/schema/vega-lite/v6.json"},
          {"title", title},
          {"width", "container"},
          {"height", 260},
          {"data", {{"values", values}}},
          {"mark", {{"type", "bar"}, {"tooltip", true}}},
          {"encoding",
           {{"x", {{"field", "point"}, {"type", "ordinal"}, {"title", "sweep point"}}},
            {"y", {{"aggregate", "sum"}, {"field", field}, {"type", "quantitative"}, {"title", field}}},
            {"color", {{"field", by}, {"type", "nominal"}}}}}};
}

json scatter(const json& values, const std::string& x, const std::string& y, const std::string& color,
             const std::vector<std::string>& axes, const std::string& title) {
  json tooltip = json::array({{{"field", "point"}}});
  for (const auto& a : axes) tooltip.push_back({{"field", a}, {"type", "nominal"}});
  for (const auto& f : {x, y, color}) tooltip.push_back({{"field", f}, {"type", "quantitative"}});
  const json enc = {{"x", {{"field", x}, {"type", "quantitative"}, {"scale", {{"zero", false}}}}},
                    {"y", {{"field", y}, {"type", "quantitative"}, {"scale", {{"zero", false}}}}}};
  json base = enc;
  base["color"] = {{"field", color}, {"type", "quantitative"}, {"scale", {{"scheme", "viridis"}}}};
  base["tooltip"] = tooltip;
  json front = enc;
  return {{"$schema", "https://vega.github.io/schema/vega-lite/v6.json"},
          {"title", title},
          {"width", "container"},
          {"height", 300},
          {"data", {{"values", values}}},
          {"layer",
           {{{"mark", {{"type", "point"}, {"filled", true}, {"size", 70}}}, {"encoding", base}},
            {{"transform", {{{"filter", "datum.pareto === true"}}}},
             {"mark", {{"type", "point"}, {"filled", false}, {"size", 260}, {"color", "#d62728"}, {"strokeWidth", 2}}},
             {"encoding", front}}}}};
}

}  // namespace

PlotAssets plot_assets(const fs::path& dir) {
  fs::path d = dir;
  if (d.empty()) {
    const char* env = std::getenv("MAMBAHW_PLOT_ASSETS");
    d = env && *env ? fs::path(env) : fs::path(MAMBAHW_SOURCE_DIR) / "tools/sweep/html/node_modules";
  }
  PlotAssets a;
  for (const char* s : kScripts) {
    const fs::path p = d / s;
    std::ifstream in(p, std::ios::binary);
    if (!in)
      throw std::runtime_error(fmt::format("the plotting library {} is not installed (npm packages of "
                                           "tools/sweep/html; run tools/install-deps.sh, which runs npm ci there)",
                                           p.string()));
    std::stringstream ss;
    ss << in.rdbuf();
    a.scripts.emplace_back(s, ss.str());
  }
  return a;
}

std::string render_html(const json& r, const PlotAssets& assets) {
  const json points = r.at("points");
  const json ok = ok_points(points);
  // The axes: the point table's columns before "status".
  std::vector<std::string> axes;
  std::vector<std::string> cols;
  const json first = points.empty() ? json::object() : points.front();
  for (const auto& [k, v] : first.items()) cols.push_back(k);
  // The spec's axes, in its order (a dotted path is nested in the rows, as Vega-Lite reads it).
  for (const json& a : r.value("axes", json::array())) axes.push_back(a.get<std::string>());
  const std::vector<std::string> point_cols = [&] {
    std::vector<std::string> c{"point"};
    c.insert(c.end(), axes.begin(), axes.end());
    for (const char* k : {"status", "tech", "tech_name", "cycles", "latency_us", "energy_nj_per_token", "area_mm2", "index_bits_per_layer",
                          "index_area_mm2", "index_pj_per_lookup", "dram_mb", "sqnr_db", "sqnr_ssm_input_db",
                          "saturated_fraction", "flagged_fraction", "pareto", "error"})
      if (std::find(cols.begin(), cols.end(), k) != cols.end() && std::find(c.begin(), c.end(), k) == c.end()) c.push_back(k);
    return c;
  }();
  struct Plot {
    std::string id, heading, text;
    json spec;
    std::string data;
  };
  std::vector<Plot> plots;
  const std::string acc = "sqnr_db";
  plots.push_back({"pareto-area-energy", "Pareto: area vs energy per token",
                   "Each dot a sweep point, coloured by its SQNR; ringed: the Pareto front (no other point priced by the "
                   "same technology table has lower area, lower energy and higher SQNR; fronts are per table).",
                   scatter(ok, "area_mm2", "energy_nj_per_token", acc, axes, "area (mm2) vs energy (nJ/token/layer)"),
                   table(ok, point_cols, "table-pareto")});
  plots.push_back({"pareto-energy-sqnr", "Pareto: energy per token vs SQNR", "Coloured by area; ringed: the Pareto front.",
                   scatter(ok, "energy_nj_per_token", acc, "area_mm2", axes, "energy (nJ/token/layer) vs SQNR (dB)"), ""});
  plots.push_back({"energy-by-unit", "Energy per layer pass by category",
                   "The cost model's energy of one layer pass (event counts x technology table), per category.",
                   stacked(r.at("energy_by_category"), "pj_per_layer", "category", "pJ per layer pass"),
                   table(r.at("energy_by_category"), {"point", "category", "pj_per_layer"}, "table-energy")});
  plots.push_back({"area-by-unit", "Area by unit", "The configured accelerator's area per unit.",
                   stacked(r.at("area_by_unit"), "mm2", "unit", "mm2"),
                   table(r.at("area_by_unit"), {"point", "unit", "mm2"}, "table-area")});
  json index_spec = {{"$schema", "https://vega.github.io/schema/vega-lite/v6.json"},
                     {"title", "index memory area per scheme and technology table"},
                     {"width", "container"},
                     {"height", 260},
                     {"data", {{"values", r.at("index_sram")}}},
                     {"mark", {{"type", "bar"}, {"tooltip", true}}},
                     {"encoding",
                      {{"x", {{"field", "scheme"}, {"type", "nominal"}}},
                       {"xOffset", {{"field", "tech"}, {"type", "nominal"}}},
                       {"y", {{"field", "area_mm2"}, {"type", "quantitative"}}},
                       {"color", {{"field", "tech"}, {"type", "nominal"}}}}}};
  plots.push_back({"index-sram", "Scale-index memory across schemes and technology tables",
                   "mambahw compare's index study for the sweep's model under every table the sweep prices with "
                   "(minimal range widths, tables resident for all layers).",
                   index_spec,
                   table(r.at("index_sram"), {"tech", "scheme", "groups", "bits_per_layer", "area_mm2",
                                              "energy_pj_per_lookup", "nj_per_token", "lookup_latency_cycles"},
                         "table-index")});
  plots.push_back({"op-cycles", "Cycles per layer-program op",
                   r.value("mode", "") == "analytic" ? "Roofline cycles per op (max of compute and DRAM)."
                                                     : "The SystemC model's cycles per op.",
                   stacked(r.at("op_cycles"), "cycles", "op", "cycles per layer pass"),
                   table(r.at("op_cycles"), {"point", "op", "unit", "cycles"}, "table-ops")});

  std::string h = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n";
  h += "<title>mambahw sweep " + escape(r.value("sweep", "")) + "</title>\n";
  h += "<style>body{font-family:sans-serif;margin:1.5em;max-width:1200px}.plot{width:100%}"
       "table{border-collapse:collapse;font-size:12px}td,th{border:1px solid #ccc;padding:2px 6px;text-align:right}"
       "section{margin-bottom:2em}#errors{color:#b00}</style>\n";
  // Errors of the page's own scripts are shown, and kept for tests that load it headless.
  h += "<script>window.mambahwErrors=[];window.addEventListener('error',function(e){window.mambahwErrors.push(String(e.message));});</script>\n";
  for (const auto& [name, text] : assets.scripts) h += "<script>/* " + name + " (npm) */\n" + script_safe(text) + "\n</script>\n";
  h += "</head><body>\n";
  h += fmt::format("<h1>Sweep {}</h1>\n<p>{}</p>\n<p>{} points ({} ok) of model {} from {}; mode {}; {} {} (git {}).</p>\n",
                   escape(r.value("sweep", "")), escape(r.value("description", "")), points.size(), ok.size(),
                   escape(r.value("model", "")), escape(r.value("config", "")), escape(r.value("mode", "")),
                   escape(r.value("tool", "")), escape(r.value("version", "")), escape(r.value("git_commit", "")));
  json specs = json::object();
  for (const Plot& p : plots) {
    h += fmt::format("<section><h2>{}</h2><p>{}</p><div class=\"plot\" id=\"{}\"></div>\n{}</section>\n", escape(p.heading),
                     escape(p.text), p.id, p.data);
    specs[p.id] = p.spec;
  }
  h += "<section><h2>All points</h2>" + table(points, point_cols, "table-points") + "</section>\n";
  h += "<pre id=\"errors\"></pre><pre id=\"render-status\">rendering</pre>\n";
  h += "<script type=\"application/json\" id=\"specs\">" + json_safe(specs.dump()) + "</script>\n";
  h += R"(<script>
(function () {
  var specs = JSON.parse(document.getElementById('specs').textContent);
  var ids = Object.keys(specs);
  Promise.all(ids.map(function (id) {
    return vegaEmbed('#' + id, specs[id], {renderer: 'svg', actions: false}).catch(function (e) {
      window.mambahwErrors.push(id + ': ' + e);
    });
  })).then(function () {
    document.getElementById('errors').textContent = window.mambahwErrors.join('\n');
    document.getElementById('render-status').textContent =
        (window.mambahwErrors.length ? 'errors ' : 'rendered ') + ids.length;
  });
})();
</script>
</body></html>
)";
  return h;
}

}  // namespace mambahw::sweep
