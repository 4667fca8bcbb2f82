#include "mambahw/sweep/rtl_sweep.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <ctime>
#include <fstream>
#include <map>

#include <unistd.h>

#include <fmt/core.h>

#include "mambahw/config/yaml_reader.hpp"
#include "mambahw/verif/hex_file.hpp"
#include "mambahw/version.hpp"

namespace mambahw::sweep {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr std::uint64_t kAllInputs = std::uint64_t{1} << 32;

std::string hex32(std::uint32_t v) { return fmt::format("0x{:08x}", v); }
std::string hex8(unsigned v) { return fmt::format("0x{:02x}", v); }

// An unsigned integer field, decimal or 0x-hexadecimal, at most `max`.
std::uint64_t unsigned_field(YamlMap& m, const std::string& key, std::uint64_t fallback, std::uint64_t min, std::uint64_t max) {
  const YAML::Node n = m.raw(key);
  if (!n) return fallback;
  if (!n.IsScalar()) m.fail_at(n, m.field(key), "must be an unsigned integer (decimal or 0x hexadecimal)");
  const std::string t = n.Scalar();
  std::size_t used = 0;
  std::uint64_t v = 0;
  try {
    if (t.empty() || t[0] == '-' || t[0] == '+') throw std::invalid_argument(t);
    v = std::stoull(t, &used, 0);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used == 0 || used != t.size()) m.fail_at(n, m.field(key), "must be an unsigned integer (decimal or 0x hexadecimal)");
  if (v < min || v > max) m.fail_at(n, m.field(key), fmt::format("must be in [{}, {}]", min, max));
  return v;
}

double thread_cpu_seconds() {
  timespec ts{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

json mismatch_json(const QuantizerMismatch& m, Rounding r, float scale) {
  return {{"index", m.index},
          {"x", hex32(m.x)},
          {"golden_code", hex8(m.golden_code)},
          {"rtl_code", hex8(m.rtl_code)},
          {"golden_se", hex8(m.golden_se)},
          {"rtl_se", hex8(m.rtl_se)},
          {"replay", rtl_replay_command(r, m.x, scale)}};
}

}  // namespace

std::string spec_kind(const fs::path& file) {
  YamlMap top = YamlMap::load_file(file);
  if (!top.has("kind")) return "design";
  return top.required<std::string>("kind", one_of({"design", kRtlExhaustiveKind}));
}

std::string rtl_replay_command(Rounding r, std::uint32_t x, float scale) {
  return fmt::format("rtl_replay --rounding {} --x {} --scale-reg {} --fst fail.fst", to_string(r), hex32(x),
                     hex32(bits_of(reciprocal(scale))));
}

RtlSweepSpec load_rtl_spec(const fs::path& file) {
  YamlMap top = YamlMap::load_file(file);
  RtlSweepSpec s;
  s.file = file.string();
  (void)top.required<std::string>("kind", one_of({kRtlExhaustiveKind}));
  s.name = top.optional<std::string>("name", file.stem().string());
  s.description = top.optional<std::string>("description", "");
  s.unit = top.optional<std::string>("unit", s.unit, one_of({"conv_out_quantizer"}));
  for (const double d : top.list<double>("scales", finite_positive_fp32())) s.scales.push_back(static_cast<float>(d));
  if (s.scales.empty()) top.fail("scales", "must list at least one scale");
  const Check<std::string> fast = one_of({"half_away_from_zero", "half_to_even"});
  for (const std::string& r : top.list<std::string>("roundings", fast)) s.roundings.push_back(*parse_enum<Rounding>(r));
  if (s.roundings.empty()) top.fail("roundings", "must list at least one rounding mode");
  if (auto in = top.maybe_section("inputs")) {
    s.inputs.first = static_cast<std::uint32_t>(unsigned_field(*in, "first", 0, 0, 0xffffffffu));
    s.inputs.stride = static_cast<std::uint32_t>(unsigned_field(*in, "stride", 1, 1, 0xffffffffu));
    s.inputs.count = unsigned_field(*in, "count", kAllInputs, 1, kAllInputs);
    // Distinct patterns only: count * stride must not wrap past the first input.
    if (s.inputs.count > 1 && (s.inputs.count - 1) > (kAllInputs - 1) / s.inputs.stride)
      in->fail("count", "count x stride exceeds 2^32: the inputs would repeat");
    in->finish();
  }
  s.shard_inputs = unsigned_field(top, "shard_inputs", s.shard_inputs, 1, kAllInputs);
  if (auto nc = top.maybe_section("negative_control")) {
    s.fault.swap_rounding = nc->optional<bool>("swap_rounding", false);
    if (nc->has("corrupt_input"))
      s.fault.corrupt_input = static_cast<std::uint32_t>(unsigned_field(*nc, "corrupt_input", 0, 0, 0xffffffffu));
    nc->finish();
  }
  top.finish();
  return s;
}

std::vector<RtlCheck> rtl_checks(const RtlSweepSpec& spec) {
  const DualScaleFormat se = rtl_check_se_format();
  std::vector<RtlCheck> out;
  for (const float scale : spec.scales)
    for (const Rounding r : spec.roundings) {
      std::string text = fmt::format(
          "{}\ncommit {}\nunit {}\nrounding {}\nscale_reg {}\nse {} {}\ninputs {} {} {}\nfault swap_rounding={} corrupt={}\n",
          kRtlShardFormat, kGitCommit, spec.unit, to_string(r), hex32(bits_of(reciprocal(scale))), hex32(bits_of(se.inv_scale1)),
          hex32(bits_of(se.inv_scale12)), spec.inputs.first, spec.inputs.stride, spec.inputs.count, spec.fault.swap_rounding,
          spec.fault.corrupt_input ? hex32(*spec.fault.corrupt_input) : "none");
      out.push_back({scale, r, verif::sha256_bytes(text)});
    }
  return out;
}

std::vector<RtlShard> rtl_shards(const RtlSweepSpec& spec, const std::vector<RtlCheck>& checks) {
  std::vector<RtlShard> out;
  for (std::size_t c = 0; c < checks.size(); ++c)
    for (std::uint64_t b = 0; b < spec.inputs.count; b += spec.shard_inputs)
      out.push_back({static_cast<int>(out.size()), static_cast<int>(c), b, std::min(spec.inputs.count, b + spec.shard_inputs)});
  return out;
}

fs::path rtl_shard_file(const fs::path& results, const RtlCheck& c, const RtlShard& s) {
  return results / "shards" / fmt::format("{}-{:09x}-{:09x}.json", c.id.substr(0, 16), s.begin, s.end);
}

bool rtl_shard_done(const fs::path& file, const RtlCheck& c, const RtlShard& s) {
  std::ifstream in(file);
  if (!in) return false;
  const json j = json::parse(in, nullptr, false);
  return j.is_object() && j.value("format", "") == kRtlShardFormat && j.value("check", "") == c.id &&
         j.value("begin", std::uint64_t{0}) == s.begin && j.value("end", std::uint64_t{0}) == s.end &&
         j.value("status", "") == "ok";
}

json rtl_shard_header(const RtlSweepSpec& spec, const RtlCheck& c, const RtlShard& s) {
  char host[256] = {};
  ::gethostname(host, sizeof host - 1);
  return {{"format", kRtlShardFormat}, {"check", c.id},     {"unit", spec.unit},
          {"rounding", to_string(c.rounding)}, {"scale", c.scale}, {"scale_reg", hex32(bits_of(reciprocal(c.scale)))},
          {"begin", s.begin},           {"end", s.end},      {"first_input", hex32(spec.inputs.at(s.begin))},
          {"last_input", hex32(spec.inputs.at(s.end - 1))}, {"host", host}, {"git_commit", kGitCommit}};
}

json run_rtl_shard(const RtlSweepSpec& spec, const RtlCheck& c, const RtlShard& s) {
  json j = rtl_shard_header(spec, c, s);
  const auto t0 = std::chrono::steady_clock::now();
  const double c0 = thread_cpu_seconds();
  const RangeCheck r = check_conv_out_quantizer(c.rounding, c.scale, spec.inputs, s.begin, s.end, spec.fault);
  j["cpu_seconds"] = thread_cpu_seconds() - c0;
  j["wall_seconds"] = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  j["vectors"] = r.vectors;
  j["mismatches"] = r.mismatches;
  json first = json::array();
  for (const QuantizerMismatch& m : r.first) first.push_back(mismatch_json(m, c.rounding, c.scale));
  j["first_mismatches"] = first;
  j["status"] = "ok";
  return j;
}

namespace {

struct Covered {
  std::uint64_t begin, end;
  std::string file;
  json result;
};

}  // namespace

RtlMerge merge_rtl(const RtlSweepSpec& spec, const std::vector<RtlCheck>& checks, const fs::path& results) {
  RtlMerge out;
  std::map<std::string, std::size_t> check_of;
  for (std::size_t i = 0; i < checks.size(); ++i) check_of[checks[i].id] = i;
  std::vector<std::vector<Covered>> covered(checks.size());
  int stale = 0, files = 0;
  std::error_code ec;
  std::vector<fs::path> names;
  for (const auto& e : fs::directory_iterator(results / "shards", ec))
    if (e.is_regular_file() && e.path().extension() == ".json") names.push_back(e.path());
  std::sort(names.begin(), names.end());
  for (const fs::path& f : names) {
    std::ifstream in(f);
    const json j = json::parse(in, nullptr, false);
    if (!j.is_object() || j.value("format", "") != kRtlShardFormat) {
      out.problems.push_back(fmt::format("{}: not a shard result (unreadable or another format)", f.string()));
      continue;
    }
    const auto it = check_of.find(j.value("check", ""));
    if (it == check_of.end()) {  // another spec's, commit's or negative control's shard
      ++stale;
      continue;
    }
    ++files;
    const std::uint64_t b = j.value("begin", std::uint64_t{0}), e = j.value("end", std::uint64_t{0});
    if (j.value("status", "") != "ok") {
      out.problems.push_back(fmt::format("{}: the shard of inputs [{}, {}) failed: {}", f.string(), b, e, j.value("error", "unknown error")));
      continue;
    }
    if (b >= e || e > spec.inputs.count || j.value("vectors", std::uint64_t{0}) != e - b) {
      out.problems.push_back(fmt::format("{}: inconsistent range [{}, {}) or vector count", f.string(), b, e));
      continue;
    }
    covered[it->second].push_back({b, e, f.filename().string(), j});
  }
  json rows = json::array();
  std::uint64_t vectors = 0;
  double cpu = 0, wall = 0;
  for (std::size_t i = 0; i < checks.size(); ++i) {
    const RtlCheck& c = checks[i];
    auto& v = covered[i];
    std::sort(v.begin(), v.end(), [](const Covered& a, const Covered& b) { return std::tie(a.begin, a.end) < std::tie(b.begin, b.end); });
    std::uint64_t cursor = 0, n = 0, bad = 0;
    double cs = 0, ws = 0;
    json first;
    std::vector<std::string> issues;
    std::string last_file;
    for (const Covered& k : v) {
      if (k.begin > cursor) issues.push_back(fmt::format("gap: inputs [{}, {}) not covered", cursor, k.begin));
      if (k.begin < cursor)
        issues.push_back(fmt::format("overlap: inputs [{}, {}) covered by {} and {}", k.begin, std::min(k.end, cursor), last_file, k.file));
      if (k.end > cursor) last_file = k.file;
      cursor = std::max(cursor, k.end);
      n += k.end - k.begin;
      bad += k.result.value("mismatches", std::uint64_t{0});
      cs += k.result.value("cpu_seconds", 0.0);
      ws += k.result.value("wall_seconds", 0.0);
      const json& fm = k.result["first_mismatches"];
      if (fm.is_array() && !fm.empty() && (first.is_null() || fm[0]["index"].get<std::uint64_t>() < first["index"].get<std::uint64_t>()))
        first = fm[0];
    }
    if (cursor < spec.inputs.count) issues.push_back(fmt::format("gap: inputs [{}, {}) not covered", cursor, spec.inputs.count));
    for (const std::string& s : issues)
      out.problems.push_back(fmt::format("scale {} ({}) {}: {}", c.scale, hex32(bits_of(reciprocal(c.scale))), to_string(c.rounding), s));
    out.mismatches += bad;
    vectors += n;
    cpu += cs;
    wall += ws;
    rows.push_back({{"scale", c.scale},
                    {"scale_reg", hex32(bits_of(reciprocal(c.scale)))},
                    {"rounding", to_string(c.rounding)},
                    {"inputs", spec.inputs.count},
                    {"vectors", n},
                    {"shard_files", v.size()},
                    {"coverage", issues.empty() ? "exact" : "incomplete"},
                    {"mismatches", bad},
                    {"first_mismatch", first},
                    {"cpu_seconds", cs},
                    {"wall_seconds", ws},
                    {"check", c.id}});
  }
  out.complete = out.problems.empty();
  out.report = {{"tool", "mambahw"},
                {"version", kVersion},
                {"git_commit", kGitCommit},
                {"kind", kRtlExhaustiveKind},
                {"sweep", spec.name},
                {"description", spec.description},
                {"spec", spec.file},
                {"unit", spec.unit},
                {"inputs", {{"first", hex32(spec.inputs.first)}, {"stride", spec.inputs.stride}, {"count", spec.inputs.count}}},
                {"shard_inputs", spec.shard_inputs},
                {"negative_control",
                 {{"swap_rounding", spec.fault.swap_rounding},
                  {"corrupt_input", spec.fault.corrupt_input ? json(hex32(*spec.fault.corrupt_input)) : json(nullptr)}}},
                {"checks", rows},
                {"shard_files", files},
                {"stale_files", stale},
                {"vectors", vectors},
                {"mismatches", out.mismatches},
                {"cpu_seconds", cpu},
                {"wall_seconds_sum", wall},
                {"coverage", out.complete ? "exact" : "incomplete"},
                {"problems", out.problems}};
  return out;
}

}  // namespace mambahw::sweep
