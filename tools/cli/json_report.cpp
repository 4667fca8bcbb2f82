#include "json_report.hpp"

#include <cmath>
#include <stdexcept>
#include <system_error>
#include <filesystem>

#include "mambahw/verif/hex_file.hpp"

namespace mambahw::cli {

using nlohmann::json;

json number(double v) { return std::isfinite(v) ? json(v) : json(nullptr); }

json to_json(const NumericsPolicy& p) {
  return {{"rounding", to_string(p.rounding)},
          {"quantize_op", to_string(p.quantize_op)},
          {"overflow", to_string(p.overflow)},
          {"denormals", to_string(p.denormals)},
          {"silu_division", to_string(p.silu_division)}};
}

namespace {
json to_json(const ErrorStats& e) {
  return {{"sqnr_db", number(e.sqnr_db)},
          {"max_abs_err", e.max_abs_err},
          {"mean_abs_err", e.mean_abs_err},
          {"exact", e.exact},
          {"count", e.count}};
}
json to_json(const DistributionStats& d) {
  return {{"min", d.min},     {"max", d.max},       {"mean", d.mean},
          {"std", d.std},     {"absmax", d.absmax}, {"p99", d.p99},
          {"p99_9", d.p999},  {"p99_95", d.p9995},  {"p99_99", d.p9999},
          {"max_over_p99_99", d.max_over_p9999},    {"outlier_fraction_6sigma", d.outlier_fraction}};
}
double frac(std::int64_t a, std::int64_t b) { return b ? static_cast<double>(a) / static_cast<double>(b) : 0.0; }
}  // namespace

json to_json(const LayerAccuracy& a) {
  json modes = json::array();
  for (const ModeAccuracy& m : a.modes)
    modes.push_back({{"mode", static_cast<int>(m.mode)},
                     {"ssm_input", to_string(m.mode)},
                     {"sqnr_db", number(m.out_error.sqnr_db)},
                     {"max_abs_err", m.out_error.max_abs_err},
                     {"mean_abs_err", m.out_error.mean_abs_err},
                     {"ssm_input_sqnr_db", number(m.ssm_input_error.sqnr_db)},
                     {"saturated_fraction", m.saturated_fraction},
                     {"flagged_fraction", m.flagged_fraction},
                     {"out_proj_in_overflow_fraction", m.out_proj_in_overflow_fraction}});
  json cmp = json::array();
  for (const ModeComparison& c : a.comparisons) {
    json top = json::array();
    for (const DifferingPosition& d : c.top)
      top.push_back({{"token", d.token}, {"channel", d.channel}, {"a", d.a}, {"b", d.b}});
    cmp.push_back({{"mode_a", static_cast<int>(c.a)}, {"mode_b", static_cast<int>(c.b)}, {"exact", c.exact},
                   {"count", c.count}, {"top_differences", top}});
  }
  json j = {{"layer", a.layer}, {"modes", modes}, {"comparisons", cmp},
            {"dual_scale1", a.dual_scale1}, {"dual_scale2", a.dual_scale2}};
  j["mode2_bit_identical_to_mode0"] = a.mode2_bit_identical_to_mode0 ? json(*a.mode2_bit_identical_to_mode0) : json(nullptr);
  return j;
}

json to_json(const ConvOutStudy& s) {
  json schemes = json::array();
  for (const SchemeStudy& r : s.schemes) {
    json j = {{"scheme", r.scheme.name},
              {"base", to_string(r.scheme.base)},
              {"ssm_input", to_string(r.scheme.ssm_input)},
              {"applicable", r.skipped.empty()}};
    if (!r.skipped.empty()) {
      j["skipped_reason"] = r.skipped;
      schemes.push_back(j);
      continue;
    }
    j["numerics"] = to_json(r.scheme.numerics);
    j["conv_order"] = to_string(r.scheme.conv_order);
    j["observer"] = to_string(r.scheme.conv_out_observer.kind);
    j["int8_scale_min"] = r.scale_min;
    j["int8_scale_max"] = r.scale_max;
    j["uncovered_channels"] = r.uncovered_channels;
    j["int8_elements"] = r.int8_elements;
    j["int8_saturated"] = r.int8_saturated;
    j["int8_saturated_fraction"] = frac(r.int8_saturated, r.int8_elements);
    j["int8_error"] = to_json(r.int8_error);
    j["ssm_input_bits"] = r.ssm_input_bits;
    j["ssm_input_elements"] = r.elements;
    j["ssm_input_error"] = to_json(r.ssm_input_error);
    j["conv_out_distribution"] = to_json(r.y);
    if (r.quantizer.dual) {
      const DualScaleFormat& f = *r.quantizer.dual;
      j["dual_scale"] = {{"code_bits", f.code_bits()},
                         {"qmin", f.range.qmin},
                         {"qmax", f.range.qmax},
                         {"scale1", f.scale1},
                         {"scale2", f.scale2},
                         {"scale12", f.scale12},
                         {"threshold", r.quantizer.dual_threshold},
                         {"flagged", r.flagged},
                         {"flagged_fraction", frac(r.flagged, r.elements)},
                         {"outlier_saturated", r.outlier_saturated}};
    }
    schemes.push_back(j);
  }
  return {{"model", s.model},
          {"seq_len", s.inputs.seq_len},
          {"batch", s.inputs.batch},
          {"seed", s.inputs.seed},
          {"calib_batches", s.inputs.calib_batches},
          {"calib_seq_len", s.inputs.calib_seq_len},
          {"schemes", schemes}};
}

void write_text_file(const std::string& path, const std::string& text) {
  // The one atomic writer (temporary file, removed on any error, then renamed).
  const std::filesystem::path target(path);
  verif::write_text_file(target.has_parent_path() ? target.parent_path() : std::filesystem::path("."),
                         target.filename().string(), text);
}

void write_json_file(const std::string& path, const json& j) { write_text_file(path, j.dump(2) + "\n"); }

}  // namespace mambahw::cli
