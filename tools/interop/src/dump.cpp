#include "mambahw/interop/dump.hpp"

#include "mambahw/interop/checkpoint.hpp"
#include "mambahw/tensors/tensor_file.hpp"

namespace mambahw::interop {

namespace fs = std::filesystem;
using tensors::StoredTensor;

std::vector<NamedTensor> trace_tensors(const LayerTrace& tr) {
  std::vector<NamedTensor> out;
  auto put = [&](const char* name, const auto& t, const char* layout) {
    if (t.size()) out.push_back({name, tensors::stored(t), layout});
  };
  put("in_proj_out", tr.in_proj_out, "[L][in_proj_out] (FP32 reference)");
  put("x_proj_out", tr.x_proj_out, "[L][dt_rank + 2N] (FP32 reference)");
  put("dt_proj_out", tr.dt_proj_out, "[L][d_inner], before the bias (FP32 reference)");
  put("conv_y", tr.conv_y, "[conv_channels][L], conv + SiLU, FP32");
  put("conv_codes", tr.conv_codes, "[conv_channels][L], INT8 conv-output codes");
  put("ssm_input", tr.ssm_input, "[d_inner][L], what the SSM read");
  put("ssm_out", tr.ssm_out, "[d_inner][L]; Mamba1: gated y (FP16 values), Mamba2: after the gated RMSNorm");
  put("out", tr.out, "[L][d_model] (FP16 values for the quantized layer)");
  // Every tensor of the layer program the quantized layer executed, by its
  // program name (golden/layer_program.hpp gives formats and layouts).
  for (const auto& [name, t] : tr.int8) put(("program." + name).c_str(), t, "layer-program tensor, INT8 codes");
  for (const auto& [name, t] : tr.words) put(("program." + name).c_str(), t, "layer-program tensor, dual-scale words");
  for (const auto& [name, t] : tr.fp) put(("program." + name).c_str(), t, "layer-program tensor, FP16 values widened");
  return out;
}

namespace {

void put_weights(std::vector<NamedTensor>& out, const std::string& name, const QuantWeights& w) {
  std::vector<std::int8_t> codes(static_cast<std::size_t>(w.out) * static_cast<std::size_t>(w.in));
  for (int n = 0; n < w.out; ++n)
    for (int k = 0; k < w.in; ++k) codes[static_cast<std::size_t>(n * w.in + k)] = w.at(n, k);
  out.push_back({name + ".codes", tensors::stored_int8(codes, {w.out, w.in}),
                 std::string("[out][in] ") + std::string(to_string(w.precision)) + " weight codes"});
  out.push_back({name + ".scales", tensors::stored_floats(w.scales, {w.out, w.groups()}), "[out][groups] weight scales"});
}

void put_q(std::vector<NamedTensor>& out, const std::string& name, const QTensor& t) {
  if (!t.q.size()) return;
  out.push_back({name + ".codes", tensors::stored(t.q), "INT8 codes"});
  out.push_back({name + ".scale", tensors::stored_scalar(t.scale), "scale"});
}

std::int64_t i64(std::size_t v) { return static_cast<std::int64_t>(v); }

}  // namespace

std::vector<NamedTensor> quantized_layer_tensors(const QuantizedLayer& q) {
  std::vector<NamedTensor> out;
  out.push_back({"in_scale", tensors::stored_scalar(q.in_scale), "layer input scale"});
  put_weights(out, "in_proj", q.in_proj);
  out.push_back({"in_proj_out_scales", tensors::stored_floats(q.in_proj_out_scales, {i64(q.in_proj_out_scales.size())}),
                 "[segments] in_proj output scales (Mamba1 x, z; Mamba2 z, x, B, C, dt)"});
  const ConvLayer& c = q.conv;
  out.push_back({"conv.weight", tensors::stored_int8(c.w, {c.channels, c.width}), "[channels][width] INT8"});
  if (!c.bias.empty()) out.push_back({"conv.bias", tensors::stored_int8(c.bias, {c.channels}), "[channels] INT8"});
  std::vector<float> seg;
  for (const ConvSegmentScales& s : c.segment_scales) seg.insert(seg.end(), {s.w, s.x, s.b});
  out.push_back({"conv.segment_scales", tensors::stored_floats(seg, {i64(c.segment_scales.size()), 3}),
                 "[segments][w, x, b] conv scales"});
  out.push_back({"conv_out.scales", tensors::stored_floats(q.conv_out.int8_scales, {i64(q.conv_out.int8_scales.size())}),
                 "[conv_channels] conv-output INT8 scales"});
  if (q.conv_out.dual)
    out.push_back({"conv_out.dual_scales", tensors::stored_floats(std::vector<float>{q.conv_out.dual->scale1, q.conv_out.dual->scale2}, {2}),
                   "[scale1, scale2] dual-scale format (mode 3)"});
  if (q.x_proj.out) {
    put_weights(out, "x_proj", q.x_proj);
    put_weights(out, "dt_proj", q.dt_proj);
    out.push_back({"x_proj_out_scale", tensors::stored_scalar(q.x_proj_out_scale), "x_proj output scale"});
    out.push_back({"dt_proj_out_scale", tensors::stored_scalar(q.dt_proj_out_scale), "dt_proj output scale"});
  }
  put_q(out, "delta_bias", q.delta_bias);
  put_q(out, "a_log", q.a_log);
  put_q(out, "d_skip", q.d_skip);
  if (!q.dt_bias.empty()) out.push_back({"dt_bias", tensors::stored_floats(q.dt_bias, {i64(q.dt_bias.size())}), "[nheads] FP16 values"});
  if (!q.norm_w.empty()) out.push_back({"norm_w", tensors::stored_floats(q.norm_w, {i64(q.norm_w.size())}), "[d_inner]"});
  put_weights(out, "out_proj", q.out_proj);
  out.push_back({"out_proj_in_scale", tensors::stored_scalar(q.out_proj_in_scale), "out_proj input scale"});
  if (q.scheme.layer.out_proj_hadamard)
    out.push_back({"hadamard_multiplier", tensors::stored_scalar(q.hadamard_multiplier), "fp32(1/sqrt(d_inner) / out_proj_in_scale)"});
  return out;
}

DumpWriter::DumpWriter(fs::path dir, nlohmann::json header) : dir_(std::move(dir)), header_(std::move(header)) {
  std::error_code ec;
  fs::create_directories(dir_, ec);
  if (ec) throw tensors::TensorFileError(dir_.string() + ": cannot create the dump folder: " + ec.message());
  fs::remove(dir_ / "manifest.json", ec);  // until the new one is written, the folder is not a complete dump
  if (ec) throw tensors::TensorFileError(dir_.string() + ": cannot remove the old manifest: " + ec.message());
}

void DumpWriter::add(const NamedTensor& t, nlohmann::json info) {
  const std::string file = t.name + ".npy";
  tensors::write_npy(dir_ / file, t.tensor);
  info["name"] = t.name;
  info["file"] = file;
  info["dtype"] = to_string(t.tensor.dtype);
  info["shape"] = t.tensor.shape;
  info["layout"] = t.layout;
  entries_.push_back(std::move(info));
}

void DumpWriter::observe(const ModelShape& m, const LayerCase& lc, int layer, std::optional<SsmInputMode> mode,
                         const LayerTrace& tr) {
  const std::string L = "layer" + std::to_string(layer) + ".";
  if (!mode) {
    add({L + "input", tensors::stored(lc.input), "[L][d_model], the mixer's input"}, {{"layer", layer}, {"producer", "input"}});
    if (!lc.calibration.empty()) {
      const FloatTensor& c0 = lc.calibration[0];
      std::vector<float> all;
      for (const FloatTensor& b : lc.calibration) all.insert(all.end(), b.vec().begin(), b.vec().end());
      add({L + "calibration",
           tensors::stored_floats(all, {static_cast<std::int64_t>(lc.calibration.size()), static_cast<std::int64_t>(c0.dim(0)),
                                        static_cast<std::int64_t>(c0.dim(1))}),
           "[batches][L][d_model], the calibration inputs"},
          {{"layer", layer}, {"producer", "input"}});
    }
    for (auto& [name, t] : checkpoint_tensors(m, lc.weights))
      add({L + "weights." + name, t, "FP32 master weight (checkpoint name)"}, {{"layer", layer}, {"producer", "weights"}});
    for (const NamedTensor& t : quantized_layer_tensors(lc.q))
      add({L + "q." + t.name, t.tensor, t.layout}, {{"layer", layer}, {"producer", "quantize_layer"}});
    for (const NamedTensor& t : trace_tensors(tr))
      add({L + "reference." + t.name, t.tensor, t.layout}, {{"layer", layer}, {"producer", "reference_layer"}});
    return;
  }
  const std::string M = L + "mode" + std::to_string(static_cast<int>(*mode)) + ".";
  for (const NamedTensor& t : trace_tensors(tr))
    add({M + t.name, t.tensor, t.layout},
        {{"layer", layer}, {"producer", "golden"}, {"mode", static_cast<int>(*mode)}, {"ssm_input", to_string(*mode)}});
}

void DumpWriter::finish() {
  nlohmann::json j = header_;
  j["tensors"] = entries_;
  const std::string text = j.dump(1) + "\n";
  tensors::write_file_atomically(dir_ / "manifest.json", std::as_bytes(std::span(text)));
}

}  // namespace mambahw::interop
