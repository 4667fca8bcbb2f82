#include "json_report.hpp"

#include <cmath>
#include <stdexcept>
#include <system_error>
#include <filesystem>

#include <fmt/format.h>

#include "mambahw/verif/hex_file.hpp"

namespace mambahw::cli {

using nlohmann::json;

json number(double v) { return std::isfinite(v) ? json(v) : json(nullptr); }


namespace {

using report::Cell;
using report::Column;
using report::Node;

double frac(std::int64_t a, std::int64_t b) { return b ? static_cast<double>(a) / static_cast<double>(b) : 0.0; }
Cell sqnr(double v) { return v; }  // +-Inf (exact) becomes null in JSON
std::string db(double v) { return std::isfinite(v) ? fmt::format("{:.2f} dB", v) : "exact"; }
std::string pct(std::int64_t a, std::int64_t b) {
  return b ? fmt::format("{:.3f}%", 100.0 * static_cast<double>(a) / static_cast<double>(b)) : "-";
}

// Columns of an ErrorStats under `prefix`.
void error_columns(std::vector<Column>& c, const std::string& prefix) {
  for (const char* k : {"sqnr_db", "max_abs_err", "mean_abs_err", "exact", "count"}) c.push_back(Column{prefix + "." + k, ""});
}
void error_cells(std::vector<Cell>& row, const ErrorStats& e) {
  row.insert(row.end(), {sqnr(e.sqnr_db), e.max_abs_err, e.mean_abs_err, e.exact, e.count});
}
constexpr const char* kDistributionKeys[] = {"min", "max", "mean", "std", "absmax", "p99", "p99_9", "p99_95",
                                             "p99_99", "max_over_p99_99", "outlier_fraction_6sigma"};
constexpr const char* kNumericsKeys[] = {"rounding",      "quantize_op", "overflow",  "denormals",
                                         "silu_division", "exp_unit",    "log1p_unit", "reciprocal_unit"};
constexpr const char* kDualKeys[] = {"code_bits", "qmin",  "qmax",    "scale1",           "scale2",
                                     "scale12",   "threshold", "flagged", "flagged_fraction", "outlier_saturated"};

std::string scales_text(const SchemeStudy& r) {
  if (r.quantizer.dual)
    return fmt::format("s1 {:.4g} K {:.4g}", r.quantizer.dual->scale1, r.quantizer.dual->scale2);
  if (r.scale_min == r.scale_max) return fmt::format("{:.4g}", r.scale_min);
  return fmt::format("{:.4g}..{:.4g}", r.scale_min, r.scale_max);
}

report::Table scheme_table(const ConvOutStudy& s) {
  report::Table t;
  auto& c = t.columns;
  c = {Column{"scheme", "scheme", "{}", -15}, Column{"base", "base", "{}", -8},
       Column{"ssm_input", "SSM input", "{}", -10}, Column{"ssm_input_bits", "bits", "{}", 4},
       Column{"scales", "scales", "{}", -22, false, false}, Column{"saturated_text", "INT8 saturated", "{}", 16, false, false},
       Column{"flagged_text", "flagged", "{}", 9, false, false}, Column{"sqnr_int8_text", "SQNR INT8", "{}", 10, false, false},
       Column{"sqnr_ssm_text", "SQNR SSM-in", "{}", 12, false, false},
       Column{"applicable", ""}, Column{"skipped_reason", ""}, Column{"source", ""}};
  for (const char* k : kNumericsKeys) c.push_back(Column{std::string("numerics.") + k, ""});
  for (const char* k : {"conv_order", "observer", "int8_scale_min", "int8_scale_max", "uncovered_channels",
                        "int8_elements", "int8_saturated", "int8_saturated_fraction"})
    c.push_back(Column{k, ""});
  error_columns(c, "int8_error");
  c.push_back(Column{"ssm_input_elements", ""});
  error_columns(c, "ssm_input_error");
  for (const char* k : kDistributionKeys) c.push_back(Column{std::string("conv_out_distribution.") + k, ""});
  for (const char* k : kDualKeys) c.push_back(Column{std::string("dual_scale.") + k, ""});
  for (const SchemeStudy& r : s.schemes) {
    std::vector<Cell> row{r.scheme.name, std::string(to_string(r.scheme.base)), std::string(to_string(r.scheme.ssm_input))};
    if (!r.skipped.empty()) {
      row.resize(9);
      row.insert(row.end(), {false, r.skipped, r.source});
      row.resize(t.columns.size());
      t.add(std::move(row));
      continue;
    }
    const NumericsPolicy& n = r.scheme.numerics;
    row.insert(row.end(),
               {std::int64_t{r.ssm_input_bits}, scales_text(r),
                fmt::format("{} ({})", r.int8_saturated, pct(r.int8_saturated, r.int8_elements)),
                r.quantizer.dual ? pct(r.flagged, r.elements) : "-", db(r.int8_error.sqnr_db),
                db(r.ssm_input_error.sqnr_db), true, Cell{}, r.source, std::string(to_string(n.rounding)),
                std::string(to_string(n.quantize_op)), std::string(to_string(n.overflow)),
                std::string(to_string(n.denormals)), std::string(to_string(n.silu_division)),
                std::string(to_string(n.units.exp)), std::string(to_string(n.units.log1p)),
                std::string(to_string(n.units.reciprocal)),
                std::string(to_string(r.scheme.conv_order)), std::string(to_string(r.scheme.conv_out_observer.kind)),
                double{r.scale_min}, double{r.scale_max}, std::int64_t{r.uncovered_channels}, r.int8_elements,
                r.int8_saturated, frac(r.int8_saturated, r.int8_elements)});
    error_cells(row, r.int8_error);
    row.emplace_back(r.elements);
    error_cells(row, r.ssm_input_error);
    const DistributionStats& d = r.y;
    row.insert(row.end(), {d.min, d.max, d.mean, d.std, d.absmax, d.p99, d.p999, d.p9995, d.p9999,
                           d.max_over_p9999, d.outlier_fraction});
    if (r.quantizer.dual) {
      const DualScaleFormat& f = *r.quantizer.dual;
      row.insert(row.end(), {std::int64_t{f.code_bits()}, std::int64_t{f.range.qmin}, std::int64_t{f.range.qmax},
                             double{f.scale1}, double{f.scale2}, double{f.scale12}, double{r.quantizer.dual_threshold},
                             r.flagged, frac(r.flagged, r.elements), r.outlier_saturated});
    }
    row.resize(t.columns.size());
    t.add(std::move(row));
  }
  return t;
}

}  // namespace

Node study_report(const ConvOutStudy& s) {
  Node n = Node::object();
  n.add("model", Cell{s.model});
  n.add("seq_len", Cell{std::int64_t{s.inputs.seq_len}});
  n.add("batch", Cell{std::int64_t{s.inputs.batch}});
  n.add("seed", Cell{static_cast<std::int64_t>(s.inputs.seed)});
  n.add("calib_batches", Cell{std::int64_t{s.inputs.calib_batches}});
  n.add("calib_seq_len", Cell{std::int64_t{s.inputs.calib_seq_len}});
  n.add("schemes", scheme_table(s));
  return n;
}

Node layer_report(const LayerAccuracy& a) {
  Node n = Node::object();
  n.add("layer", Cell{std::int64_t{a.layer}});
  report::Table modes;
  modes.columns = {Column{"label", "SSM input (mode)", "{}", -22, false, false}, Column{"mode", ""},
                   Column{"ssm_input", ""}, Column{"sqnr_text", "SQNR out", "{}", 10, false, false},
                   Column{"sqnr_db", ""}, Column{"max_abs_err", "max|err|", "{:.4g}", 11},
                   Column{"mean_abs_err", "mean|err|", "{:.4g}", 11},
                   Column{"ssm_sqnr_text", "SQNR SSM-in", "{}", 12, false, false}, Column{"ssm_input_sqnr_db", ""},
                   Column{"saturated_pct", "saturated", "{:.3f}%", 10, false, false}, Column{"saturated_fraction", ""},
                   Column{"flagged_pct", "flagged", "{:.3f}%", 9, false, false}, Column{"flagged_fraction", ""},
                   Column{"ovf_pct", "out_proj ovf", "{:.4f}%", 13, false, false},
                   Column{"out_proj_in_overflow_fraction", ""}};
  for (const ModeAccuracy& m : a.modes)
    modes.add({fmt::format("{} {}", static_cast<int>(m.mode), to_string(m.mode)), std::int64_t{static_cast<int>(m.mode)},
               std::string(to_string(m.mode)), db(m.out_error.sqnr_db), sqnr(m.out_error.sqnr_db),
               m.out_error.max_abs_err, m.out_error.mean_abs_err, db(m.ssm_input_error.sqnr_db),
               sqnr(m.ssm_input_error.sqnr_db), 100 * m.saturated_fraction, m.saturated_fraction,
               100 * m.flagged_fraction, m.flagged_fraction, 100 * m.out_proj_in_overflow_fraction,
               m.out_proj_in_overflow_fraction});
  n.add("modes", std::move(modes));
  Node& cmp = n.add("comparisons", Node::list());
  for (const ModeComparison& c : a.comparisons) {
    Node e = Node::object();
    e.add("mode_a", Cell{std::int64_t{static_cast<int>(c.a)}});
    e.add("mode_b", Cell{std::int64_t{static_cast<int>(c.b)}});
    e.add("exact", Cell{c.exact});
    e.add("count", Cell{c.count});
    report::Table top;
    top.columns = {Column{"token", ""}, Column{"channel", ""}, Column{"a", ""}, Column{"b", ""}};
    for (const DifferingPosition& d : c.top)
      top.add({static_cast<std::int64_t>(d.token), static_cast<std::int64_t>(d.channel), double{d.a}, double{d.b}});
    e.add("top_differences", std::move(top));
    cmp.push(std::move(e));
  }
  n.add("dual_scale1", Cell{double{a.dual_scale1}});
  n.add("dual_scale2", Cell{double{a.dual_scale2}});
  n.add("mode2_bit_identical_to_mode0",
        a.mode2_bit_identical_to_mode0 ? Cell{*a.mode2_bit_identical_to_mode0} : Cell{});
  return n;
}

void write_text_file(const std::string& path, const std::string& text) {
  // The one atomic writer (temporary file, removed on any error, then renamed).
  const std::filesystem::path target(path);
  verif::write_text_file(target.has_parent_path() ? target.parent_path() : std::filesystem::path("."),
                         target.filename().string(), text);
}

void write_json_file(const std::string& path, const json& j) { write_text_file(path, j.dump(2) + "\n"); }

}  // namespace mambahw::cli
