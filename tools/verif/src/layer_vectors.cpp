// Layer-level vectors: every tensor of one quantized layer's forward pass
// through the golden model (run_layer), with its weights and scale
// registers, as $readmemh images and a manifest naming each tensor's shape,
// layout and format (docs/vectors.md §Layer-level vectors).
#include "mambahw/verif/layer_vectors.hpp"

#include <fstream>
#include <stdexcept>

#include <fmt/core.h>

#include "mambahw/golden/layer.hpp"
#include "mambahw/studies/layer_accuracy.hpp"
#include "mambahw/verif/hex_file.hpp"
#include "mambahw/version.hpp"
#include "dir_texts.hpp"

namespace mambahw::verif {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

struct Writer {
  fs::path dir;
  json tensors = json::array();
  json files = json::array();
  std::uint64_t bytes = 0;

  template <class T, class Word>
  void put(const std::string& name, const std::string& stage, const std::vector<std::size_t>& shape,
           const std::string& layout, const std::string& format, int width, const std::vector<T>& data, Word word,
           const std::string& description) {
    HexFileWriter w(dir, name + ".hex", width);
    for (const T& v : data) w.put(word(v));
    const FileRecord r = w.finish();
    bytes += r.bytes;
    files.push_back({{"name", r.name}, {"width_bits", r.width_bits}, {"words", r.words}, {"bytes", r.bytes},
                     {"sha256", r.sha256}});
    tensors.push_back({{"name", name}, {"file", r.name}, {"stage", stage}, {"shape", shape}, {"layout", layout},
                       {"format", format}, {"width_bits", width}, {"words", r.words}, {"description", description}});
  }
  void fp32(const std::string& name, const std::string& stage, const FloatTensor& t, const std::string& layout,
            const std::string& description) {
    put(name, stage, dims(t), layout, "fp32", 32, t.vec(), [](float v) { return bits_of(v); }, description);
  }
  void fp32v(const std::string& name, const std::string& stage, const std::vector<float>& v,
             const std::string& layout, const std::string& description) {
    put(name, stage, {v.size()}, layout, "fp32", 32, v, [](float x) { return bits_of(x); }, description);
  }
  // FP16-valued FP32 tensors as FP16 words (exact: checked).
  void fp16(const std::string& name, const std::string& stage, const FloatTensor& t, const std::string& layout,
            const std::string& description) {
    put(name, stage, dims(t), layout, "fp16", 16, t.vec(),
        [&name](float v) {
          const std::uint16_t h = fp32_to_fp16(v);
          if (bits_of(fp16_to_fp32(h)) != bits_of(v) && v == v)
            throw std::logic_error(name + " holds a value that is not an FP16 value");
          return h;
        },
        description);
  }
  void int8(const std::string& name, const std::string& stage, const Int8Tensor& t, const std::string& layout,
            const std::string& description) {
    put(name, stage, dims(t), layout, "int8", 8, t.vec(), [](std::int8_t v) { return static_cast<std::uint8_t>(v); },
        description);
  }
  void int8v(const std::string& name, const std::string& stage, const std::vector<std::int8_t>& v,
             const std::vector<std::size_t>& shape, const std::string& layout, const std::string& description) {
    put(name, stage, shape, layout, "int8", 8, v, [](std::int8_t x) { return static_cast<std::uint8_t>(x); },
        description);
  }
  // A quantized weight matrix: its memory image (INT8 bytes, or two INT4
  // nibbles per byte, low nibble first) and its scales.
  void weights(const std::string& name, const QuantWeights& w) {
    const bool int4 = w.precision == WeightPrecision::kInt4;
    put(name, "weights", {static_cast<std::size_t>(w.out), static_cast<std::size_t>(w.row_bytes())},
        fmt::format("row-major [out {}][byte {}]{}", w.out, w.row_bytes(),
                    int4 ? ": weight k of a row in byte k/2, low nibble for even k" : ""),
        int4 ? "int4x2" : "int8", 8, w.packed, [](std::uint8_t b) { return b; },
        fmt::format("{} weights, {} x {} ({})", name, w.out, w.in, int4 ? "INT4, two per byte" : "INT8"));
    const std::size_t groups = static_cast<std::size_t>(w.groups());
    put(name + "_scales", "weights", {static_cast<std::size_t>(w.out), groups},
        groups > 1 ? fmt::format("row-major [out][group of {} inputs]", w.group) : "[out]", "fp32", 32, w.scales,
        [](float v) { return bits_of(v); }, name + " weight scales");
  }
  static std::vector<std::size_t> dims(const auto& t) {
    std::vector<std::size_t> d;
    for (std::size_t i = 0; i < t.rank(); ++i) d.push_back(t.dim(i));
    return d;
  }
};

std::string hexf(float f) { return fmt::format("0x{:08x}", bits_of(f)); }

}  // namespace

ExportSummary export_layer(const Config& c, const LayerExportOptions& o) {
  prepare_export_directory(o.out, o.force);
  RunSettings run = c.run;
  if (o.seq_len > 0) run.seq_len = o.seq_len;
  const ModelShape& m = c.model;
  const LayerCase lc = make_layer_case(m, c.scheme, SyntheticWeights(run.seed), run, o.layer);
  const QuantizedLayer& q = lc.q;
  const SsmInputMode mode = accelerator_mode(c.scheme);
  const LayerTrace tr = run_layer(q, lc.input, mode);
  const std::size_t L = lc.input.dim(0);
  const int D = m.d_inner;

  Writer w{o.out};
  const std::string tok_major = "row-major [token][channel]: line = token * channels + channel";
  const std::string ch_major = "row-major [channel][token]: line = channel * tokens + token";
  // The forward pass in the layer program's order: every tensor an op
  // writes, by its program name, in its program layout and format
  // (golden/layer_program.hpp), plus the FP32 values inside the conv and
  // SSM units an engineer checks a datapath against.
  auto layout_text = [&](Layout l) { return l == Layout::kTokenMajor ? tok_major : ch_major; };
  auto put_program_tensor = [&](const std::string& stage, const std::string& name) {
    const TensorSpec& t = q.program.tensor(name);
    const std::string what = fmt::format("{} ({}, {})", t.description, to_string(t.format), to_string(t.layout));
    if (tr.int8.count(name)) {
      w.int8(name, stage, tr.int8.at(name), layout_text(t.layout), what);
    } else if (tr.words.count(name)) {
      const Tensor<std::uint16_t>& v = tr.words.at(name);
      w.put(name, stage, Writer::dims(v), layout_text(t.layout), "dual_scale", t.element_bits, v.vec(),
            [](std::uint16_t x) { return x; }, what + ": bit code_bits is the flag");
    } else {
      w.fp16(name, stage, tr.fp.at(name), layout_text(t.layout), what);
    }
  };
  w.fp32("input", "0 layer input", lc.input, tok_major, "FP32 layer input [L][d_model]");
  put_program_tensor("0 input quantizer", q.program.input);
  int step = 1;
  for (const OpSpec& op : q.program.ops) {
    const std::string stage = fmt::format("{} {}", step++, op.name);
    if (op.kind == OpKind::kConvSiluQuantize)
      w.fp32("conv_y", stage, tr.conv_y, ch_major, "FP32 conv+SiLU output [conv_channels][L], before the quantizer");
    if (op.kind == OpKind::kSelectiveScan || op.kind == OpKind::kSsdScanNorm)
      w.fp32("ssm_input", stage, tr.ssm_input, ch_major,
             fmt::format("FP32 the SSM reads [d_inner][L] (mode {} {})", static_cast<int>(mode), to_string(mode)));
    for (const std::string& name : op.outputs) put_program_tensor(stage, name);
  }

  // What the weight memories and scale registers hold.
  w.weights("in_proj", q.in_proj);
  if (!m.is_mamba2()) {
    w.weights("x_proj", q.x_proj);
    w.weights("dt_proj", q.dt_proj);
  }
  w.weights("out_proj", q.out_proj);
  w.int8v("conv_w", "weights", q.conv.w, {static_cast<std::size_t>(q.conv.channels), static_cast<std::size_t>(q.conv.width)},
          "row-major [channel][tap], tap 0 multiplies the oldest input", "INT8 conv weights");
  if (!q.conv.bias.empty())
    w.int8v("conv_bias", "weights", q.conv.bias, {q.conv.bias.size()}, "[channel]", "INT8 conv bias");
  w.fp32v("conv_out_scales", "registers", q.conv_out.int8_scales, "[conv channel]",
          "FP32 conv-output scale of every conv channel (the quantizer's register holds its reciprocal)");
  w.int8("a_log", "weights", q.a_log.q, "row-major", "INT8 A_log codes (scale in the manifest)");
  w.int8("d_skip", "weights", q.d_skip.q, "[channel or head]", "INT8 D codes");
  if (!m.is_mamba2()) w.int8("delta_bias", "weights", q.delta_bias.q, "[d_inner]", "INT8 delta-bias codes");
  if (m.is_mamba2()) {
    w.fp32v("dt_bias", "weights", q.dt_bias, "[nheads]", "FP16-valued dt bias");
    w.fp32v("norm_w", "weights", q.norm_w, "[d_inner]", "FP32 gated-RMSNorm weights");
  }

  json conv_segments = json::array();
  for (std::size_t i = 0; i < q.conv.segment_end.size(); ++i)
    conv_segments.push_back({{"end", q.conv.segment_end[i]}, {"scale_w", hexf(q.conv.segment_scales[i].w)},
                             {"scale_x", hexf(q.conv.segment_scales[i].x)}, {"scale_b", hexf(q.conv.segment_scales[i].b)}});
  json in_proj_segments = json::array();
  const std::vector<Segment> segs = m.in_proj_segments();
  for (std::size_t i = 0; i < segs.size(); ++i)
    in_proj_segments.push_back({{"name", segs[i].name}, {"begin", segs[i].begin}, {"end", segs[i].end},
                                {"out_scale", hexf(q.in_proj_out_scales[i])}});
  json registers = {{"in_scale", hexf(q.in_scale)},
                    {"in_proj_segments", in_proj_segments},
                    {"conv_segments", conv_segments},
                    {"x_proj_out_scale", hexf(q.x_proj_out_scale)},
                    {"dt_proj_out_scale", hexf(q.dt_proj_out_scale)},
                    {"a_log_scale", hexf(q.a_log.scale)},
                    {"d_skip_scale", hexf(q.d_skip.scale)},
                    {"delta_bias_scale", hexf(q.delta_bias.scale)},
                    {"out_proj_in_scale", hexf(q.out_proj_in_scale)},
                    {"hadamard_multiplier", hexf(q.hadamard_multiplier)}};
  if (q.conv_out.dual)
    registers["dual_scale"] = {{"code_bits", q.conv_out.dual->code_bits()},
                               {"scale1", hexf(q.conv_out.dual->scale1)},
                               {"scale12", hexf(q.conv_out.dual->scale12)}};

  json manifest = {{"format", kLayerFormat},
                   {"format_version", kFormatVersion},
                   {"tool", "mambahw"},
                   {"version", kVersion},
                   {"git_commit", kGitCommit},
                   {"block", "layer"},
                   {"layer", o.layer},
                   {"tokens", L},
                   {"ssm_input_mode", to_string(mode)},
                   {"model", {{"name", m.name}, {"arch", to_string(m.arch)}, {"d_model", m.d_model},
                              {"d_inner", D}, {"d_state", m.d_state}, {"d_conv", m.d_conv}, {"dt_rank", m.dt_rank},
                              {"headdim", m.headdim}, {"nheads", m.nheads}, {"ngroups", m.ngroups}}},
                   {"config", o.config_embed},
                   {"registers", registers},
                   {"tensors", w.tensors},
                   {"word_format", "$readmemh: one word per line, ceil(width_bits/4) lowercase hex digits, LF"}};
  std::string readme = "# mambahw layer-level vectors\n\nEvery tensor of one quantized layer's forward pass "
                       "(golden run_layer), in order, with the weights and registers it read.\n"
                       "manifest.json names each tensor's stage, shape, layout and format, the scale registers "
                       "as FP32 hex, and the SHA-256 of the config's files. docs/vectors.md describes the layout.\n\n"
                       "| file | stage | shape | format |\n|---|---|---|---|\n";
  for (const auto& t : w.tensors)
    readme += fmt::format("| {} | {} | {} | {} |\n", t["file"].get<std::string>(), t["stage"].get<std::string>(),
                          t["shape"].dump(), t["format"].get<std::string>());
  w.files.push_back(json{{"name", "README.md"}, {"width_bits", 0}});
  const FileRecord rr = write_text_file(o.out, "README.md", readme);
  w.files.back() = {{"name", rr.name}, {"width_bits", 0}, {"words", 0}, {"bytes", rr.bytes}, {"sha256", rr.sha256}};
  manifest["files"] = w.files;
  write_text_file(o.out, "manifest.json", manifest.dump(2) + "\n");

  ExportSummary sum;
  sum.bytes = w.bytes;
  for (const auto& t : w.tensors) sum.vectors += t["words"].get<std::uint64_t>();
  sum.per_class = json::object();
  for (const auto& t : w.tensors) sum.per_class[t["name"].get<std::string>()] = t["words"];
  return sum;
}

}  // namespace mambahw::verif
