// The interop layer: checkpoint names both ways, a Quamba W8A8 checkpoint
// built here by Quamba's own recipe (per-tensor absmax codes, a = s_in/s_out,
// the offline Hadamard rotation), recorded activations, and a run replayed
// from its own dump through the CLI, bit for bit.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>

#include <sys/wait.h>
#include <unistd.h>

#include "mambahw/golden/hadamard.hpp"
#include "mambahw/interop/activations.hpp"
#include "mambahw/interop/checkpoint.hpp"
#include "mambahw/studies/layer_accuracy.hpp"
#include "mambahw/studies/stats.hpp"
#include "mambahw/tb/shell.hpp"
#include "mambahw/tb/test_shapes.hpp"
#include "mambahw/tensors/tensor_file.hpp"

namespace {

using namespace mambahw;
using namespace mambahw::tensors;
using interop::TensorWeights;
using ::testing::HasSubstr;
namespace fs = std::filesystem;

template <class F>
std::string error_of(F f) {
  try {
    f();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "(no error)";
}

// d_inner 96 = 12 * 8: the online Hadamard with the H12 base matrix.
ModelShape small_mamba1() { return test::small_mamba1(96, 48); }
using test::small_mamba2;

void expect_same(const FloatTensor& a, const FloatTensor& b, const char* what) {
  ASSERT_EQ(a.size(), b.size()) << what;
  for (std::size_t i = 0; i < a.size(); ++i) ASSERT_EQ(bits_of(a(i)), bits_of(b(i))) << what << " element " << i;
}

TEST(Checkpoint, FloatWeightsRoundTripThroughTheCheckpointNames) {
  for (const ModelShape& m : {small_mamba1(), small_mamba2()}) {
    const LayerWeights w = SyntheticWeights(7).layer(m, 0);
    const TensorMap t = interop::checkpoint_tensors(m, w, "backbone.layers.0.mixer.");
    EXPECT_TRUE(t.count("backbone.layers.0.mixer.in_proj.weight"));
    EXPECT_TRUE(t.count(m.is_mamba2() ? "backbone.layers.0.mixer.norm.weight" : "backbone.layers.0.mixer.dt_proj.bias"));
    const std::vector<std::byte> img = safetensors_image(t);
    const TensorWeights tw(parse_safetensors(img, "ckpt"), "ckpt");
    EXPECT_EQ(tw.prefix_of(0), "backbone.layers.0.mixer.");
    EXPECT_FALSE(tw.quantized(0));
    const LayerWeights r = tw.layer(m, 0);
    expect_same(r.in_proj, w.in_proj, "in_proj");
    expect_same(r.out_proj, w.out_proj, "out_proj");
    expect_same(r.a_log, w.a_log, "A_log");
    EXPECT_EQ(r.d_skip, w.d_skip);
    EXPECT_EQ(r.dt_bias, w.dt_bias);
    EXPECT_EQ(r.norm_w, w.norm_w);
    if (!m.is_mamba2()) {
      expect_same(r.x_proj, w.x_proj, "x_proj");
      expect_same(r.dt_proj, w.dt_proj, "dt_proj");
    }
    // The conv weights travel as code * scale and come back as the same codes and scales.
    EXPECT_EQ(r.conv.w, w.conv.w);
    EXPECT_EQ(r.conv.bias, w.conv.bias);
    ASSERT_EQ(r.conv.segment_scales.size(), w.conv.segment_scales.size());
    for (std::size_t i = 0; i < r.conv.segment_scales.size(); ++i) {
      EXPECT_EQ(bits_of(r.conv.segment_scales[i].w), bits_of(w.conv.segment_scales[i].w));
      EXPECT_EQ(bits_of(r.conv.segment_scales[i].b), bits_of(w.conv.segment_scales[i].b));
    }
  }
}

TEST(Checkpoint, ErrorsNameTheTensorAndTheExpectedShape) {
  const ModelShape m = small_mamba1();
  TensorMap t = interop::checkpoint_tensors(m, SyntheticWeights(1).layer(m, 0));
  TensorMap wrong = t;
  wrong["x_proj.weight"] = stored_floats(std::vector<float>(10), {2, 5});
  EXPECT_THAT(error_of([&] { TensorWeights(wrong, "w.npz").layer(m, 0); }),
              HasSubstr("w.npz: tensor 'x_proj.weight' has shape [2, 5] (float32), expected [36, 96]"));
  TensorMap missing = t;
  missing.erase("A_log");
  EXPECT_THAT(error_of([&] { TensorWeights(missing, "w.npz").layer(m, 0); }), HasSubstr("w.npz: missing tensor 'A_log'"));
  EXPECT_THAT(error_of([&] { TensorWeights(t, "w.npz").layer(m, 1); }), HasSubstr("holds one layer's tensors"));
  TensorMap ints = t;
  ints["D"] = StoredTensor{DType::kInt32, {96}, std::vector<std::byte>(96 * 4)};
  EXPECT_THAT(error_of([&] { TensorWeights(ints, "w.npz").layer(m, 0); }), HasSubstr("'D': dtype int32, expected a float tensor"));
  // bfloat16 and float16 checkpoints widen exactly.
  TensorMap half = t;
  std::vector<std::uint16_t> bits;
  for (float v : float_values(t.at("D"), "D")) bits.push_back(fp32_to_bf16(v));
  half["D"] = StoredTensor{DType::kBf16, {96}, std::vector<std::byte>(192)};
  std::memcpy(half["D"].bytes.data(), bits.data(), 192);
  const LayerWeights r = TensorWeights(half, "w").layer(m, 0);
  EXPECT_EQ(r.d_skip[3], bf16_to_fp32(bits[3]));
}

// ---- a Quamba W8A8 checkpoint, built by Quamba's recipe -------------------------------

// quantize_tensor_per_tensor_absmax: scale = max(|w|)/127, q = round-half-even(w / scale).
std::vector<std::int8_t> quamba_codes(const std::vector<float>& w, float& scale) {
  float mx = 1e-5f;
  for (float v : w) mx = std::max(mx, std::fabs(v));
  scale = mx / 127.0f;
  std::vector<std::int8_t> q;
  for (float v : w) q.push_back(static_cast<std::int8_t>(std::clamp(std::nearbyint(v / scale), -128.0f, 127.0f)));
  return q;
}

// W8A8B8O8Linear's buffer: [in, out + padding to 16], column-major weight.
StoredTensor quamba_linear(const FloatTensor& w, float& scale) {
  const std::int64_t out = static_cast<std::int64_t>(w.dim(0)), in = static_cast<std::int64_t>(w.dim(1));
  const std::vector<std::int8_t> q = quamba_codes(w.vec(), scale);
  const std::int64_t pad = (16 - out % 16) % 16;
  std::vector<std::int8_t> t(static_cast<std::size_t>(in * (out + pad)), 0);
  for (std::int64_t n = 0; n < out; ++n)
    for (std::int64_t k = 0; k < in; ++k) t[static_cast<std::size_t>(k * (out + pad) + n)] = q[static_cast<std::size_t>(n * in + k)];
  return stored_int8(t, {in, out + pad});
}

StoredTensor scalar11(float v) { return stored_floats(std::vector<float>{v}, {1, 1}); }
float ratio(float a, float b) { return static_cast<float>(static_cast<double>(a) / b); }

struct QuambaCase {
  ModelShape m = small_mamba1();
  LayerWeights w = SyntheticWeights(21).layer(m, 0);
  std::vector<FloatTensor> calib{synthetic_layer_input(m, 128, 5)};
  QuantScheme s;
  QuantizedLayer q0;  // its activation scales stand in for Quamba's calibration
  TensorMap t;
  float w_in = 0, w_x = 0, w_dt = 0, w_out = 0;

  QuambaCase() {
    s.name = "quamba1";
    q0 = quantize_layer(m, s, w, calib);
    const std::string P = "layers.0.mixer.";
    const float s_in = q0.in_scale, s_xz = q0.in_proj_out_scales[0], s_u = q0.conv_out.int8_scales[0];
    const float s_xo = q0.x_proj_out_scale, s_dt = q0.dt_proj_out_scale, s_y = q0.out_proj_in_scale;
    t[P + "in_proj.weight"] = quamba_linear(w.in_proj, w_in);
    t[P + "in_proj.b"] = scalar11(w_in);
    t[P + "in_proj.a"] = scalar11(ratio(s_in, s_xz));
    t[P + "x_proj.weight"] = quamba_linear(w.x_proj, w_x);
    t[P + "x_proj.b"] = scalar11(w_x);
    t[P + "x_proj.a"] = scalar11(ratio(s_u, s_xo));
    t[P + "dt_proj.weight"] = quamba_linear(w.dt_proj, w_dt);
    t[P + "dt_proj.b"] = scalar11(w_dt);
    t[P + "dt_proj.a"] = scalar11(ratio(s_xo, s_dt));
    // out_proj rotated offline: row r becomes T·w_r, T = H/sqrt(n) (entries from hadamard_entry).
    const HadamardSize hs = *hadamard_size(m.d_inner);
    FloatTensor rot({w.out_proj.dim(0), w.out_proj.dim(1)});
    const int n = m.d_inner;
    for (std::size_t r = 0; r < rot.dim(0); ++r)
      for (int c = 0; c < n; ++c) {
        double acc = 0;
        for (int k = 0; k < n; ++k) acc += hadamard_entry(hs, c, k) * static_cast<double>(w.out_proj(r, static_cast<std::size_t>(k)));
        rot(r, static_cast<std::size_t>(c)) = static_cast<float>(acc / std::sqrt(static_cast<double>(n)));
      }
    t[P + "out_proj.weight"] = quamba_linear(rot, w_out);
    t[P + "out_proj.b"] = scalar11(w_out);
    t[P + "out_proj.a"] = scalar11(s_y);
    t[P + "had.x_H_scale"] = stored_scalar(s_y);
    const ConvLayer& c = w.conv;
    t[P + "conv1d.weight"] = stored_int8(c.w, {c.channels, c.width});
    t[P + "conv1d.bias"] = stored_int8(c.bias, {c.channels});
    t[P + "conv1d.weight_scale"] = stored_scalar(c.segment_scales[0].w);
    t[P + "conv1d.bias_scale"] = stored_scalar(c.segment_scales[0].b);
    t[P + "conv1d.input_scale"] = stored_scalar(s_xz);
    t[P + "conv1d.output_scale"] = stored_scalar(s_u);
    auto param = [&](const char* name, const char* scale_name, const std::vector<float>& v, std::vector<std::int64_t> shape) {
      float sc = 0;
      t[P + "selective_scan." + name] = stored_int8(quamba_codes(v, sc), std::move(shape));
      t[P + "selective_scan." + scale_name] = stored_scalar(sc);
    };
    param("A_log", "A_scale", w.a_log.vec(), {m.d_inner, m.d_state});
    param("D", "D_scale", w.d_skip, {m.d_inner});
    param("dt_bias", "dt_bias_scale", w.dt_bias, {m.d_inner});
    for (auto [name, v] : {std::pair{"u_scale", s_u}, {"dt_scale", s_dt}, {"B_scale", s_xo}, {"C_scale", s_xo},
                           {"z_scale", s_xz}, {"ssm_state_scale", 1.0f}})
      t[P + "selective_scan." + name] = stored_scalar(v);
  }
};

TEST(QuambaCheckpoint, LoadsTheCodesAndEveryStaticScale) {
  QuambaCase c;
  const TensorWeights tw(c.t, "quamba.safetensors");
  ASSERT_TRUE(tw.quantized(0));
  QuantizedLayer q = quantize_layer(c.m, c.s, tw.layer(c.m, 0), c.calib);
  tw.apply_static_scales(c.m, c.s, 0, q);
  // in_proj codes back in [out][in] order, one per-tensor scale replicated.
  std::vector<float> in_w = c.w.in_proj.vec();
  float sc = 0;
  const std::vector<std::int8_t> codes = quamba_codes(in_w, sc);
  for (int n = 0; n < q.in_proj.out; ++n)
    for (int k = 0; k < q.in_proj.in; ++k) ASSERT_EQ(q.in_proj.at(n, k), codes[static_cast<std::size_t>(n * q.in_proj.in + k)]);
  EXPECT_EQ(q.in_proj.scales, std::vector<float>(192, sc));
  EXPECT_EQ(q.x_proj.out, 36);  // the 12 padding columns dropped
  EXPECT_EQ(bits_of(q.conv_out.int8_scales[95]), bits_of(c.q0.conv_out.int8_scales[0]));
  EXPECT_EQ(q.a_log.q.dim(1), 16u);
  // fp32(s_in / s_out) == in_proj.a: the layer input scale derived without norm.output_scale.
  EXPECT_EQ(bits_of(ratio(q.in_scale, q.in_proj_out_scales[0])), bits_of(ratio(c.q0.in_scale, c.q0.in_proj_out_scales[0])));
  EXPECT_EQ(bits_of(q.hadamard_multiplier),
            bits_of(static_cast<float>(1.0 / std::sqrt(96.0) / static_cast<double>(c.q0.out_proj_in_scale))));
  // The dequantized, un-rotated out_proj is the original weight up to INT8 rounding
  // (a wrong un-rotation gives about 0 dB).
  const LayerWeights ref_w = tw.layer(c.m, 0);
  EXPECT_GT(error_stats(c.w.out_proj.vec(), ref_w.out_proj.vec()).sqnr_db, 35.0);
  // And the layer built from it tracks its FP32 reference.
  const FloatTensor x = synthetic_layer_input(c.m, 64, 9);
  const LayerTrace ref = reference_layer(c.m, ref_w, x);
  const LayerTrace out = run_layer(q, x, SsmInputMode::kInt8);
  EXPECT_GT(error_stats(ref.out.vec(), out.out.vec()).sqnr_db, 8.0);
}

TEST(QuambaCheckpoint, RefusesInconsistentScalesAndSchemesThatCannotRunIt) {
  QuambaCase c;
  QuantizedLayer q = c.q0;
  TensorMap bad = c.t;
  bad["layers.0.mixer.x_proj.a"] = scalar11(std::nextafter(element_float(c.t.at("layers.0.mixer.x_proj.a"), 0), 1.0f));
  EXPECT_THAT(error_of([&] { TensorWeights(bad, "q").apply_static_scales(c.m, c.s, 0, q); }),
              HasSubstr("inconsistent checkpoint: 'layers.0.mixer.x_proj.a'"));
  QuantScheme int4 = c.s;
  int4.layer.weights = WeightPrecision::kInt4;
  EXPECT_THAT(error_of([&] { TensorWeights(c.t, "q").apply_static_scales(c.m, int4, 0, q); }), HasSubstr("INT8 per-tensor weights"));
  QuantScheme nohad = c.s;
  nohad.layer.out_proj_hadamard = false;
  EXPECT_THAT(error_of([&] { TensorWeights(c.t, "q").apply_static_scales(c.m, nohad, 0, q); }), HasSubstr("with the online Hadamard"));
}

TEST(Activations, ShapesPerLayerNamesAndTruncation) {
  const ModelShape m = small_mamba1();
  TensorMap t;
  t["input"] = stored_floats(std::vector<float>(10 * 48, 1.0f), {1, 10, 48});
  t["layer1.input"] = stored_floats(std::vector<float>(6 * 48, 2.0f), {6, 48});
  t["calibration"] = stored_floats(std::vector<float>(3 * 5 * 48, 0.5f), {3, 5, 48});
  const interop::TensorActivations a(t, "acts.npz");
  RunSettings in;
  in.seq_len = 10;
  EXPECT_EQ(a.input(m, in, 0).dim(0), 10u);
  in.seq_len = 4;
  EXPECT_EQ(a.input(m, in, 1)(0, 0), 2.0f);  // layer1.input, first 4 tokens
  EXPECT_EQ(a.input(m, in, 1).dim(0), 4u);
  EXPECT_EQ(a.calibration(m, in, 0).size(), 3u);
  in.seq_len = 7;
  EXPECT_THAT(error_of([&] { a.input(m, in, 1); }), HasSubstr("has 6 tokens, run.seq_len asks for 7"));
  TensorMap w = t;
  w["input"] = stored_floats(std::vector<float>(10 * 47), {10, 47});
  EXPECT_THAT(error_of([&] { interop::TensorActivations(w, "acts.npz").input(m, in, 0); }),
              HasSubstr("acts.npz: tensor 'input' has shape [10, 47], expected [batches, L, 48] or [L, 48]"));
  EXPECT_THAT(error_of([&] { interop::TensorActivations(t, "acts.npz", "nope").input(m, in, 0); }),
              HasSubstr("no tensor 'layer0.nope' or 'nope'"));
}

// A batch's sequences are the rows of a [batch, L, d_model] input: sequence b
// is row b (here filled with b + 1), never the first row repeated, and a
// batch larger than the file's is an error naming the shape and run.batch.
TEST(Activations, BatchSequencesAreTheRowsOfTheInputTensor) {
  const ModelShape m = small_mamba1();
  std::vector<float> v(3 * 5 * 48);
  for (std::size_t i = 0; i < v.size(); ++i) v[i] = static_cast<float>(i / (5 * 48) + 1);
  TensorMap t;
  t["input"] = stored_floats(v, {3, 5, 48});
  const interop::TensorActivations a(t, "acts.npz");
  RunSettings in;
  in.seq_len = 5;
  in.batch = 3;
  EXPECT_EQ(a.input(m, in, 0)(4, 47), 1.0f);
  EXPECT_EQ(a.sequence(m, in, 0, 1)(0, 0), 2.0f);
  EXPECT_EQ(a.sequence(m, in, 0, 2)(4, 47), 3.0f);
  in.batch = 4;
  EXPECT_THAT(error_of([&] { a.sequence(m, in, 0, 3); }),
              HasSubstr("acts.npz: tensor 'input' has shape [3, 5, 48]: 3 sequences, run.batch asks for 4"));
  TensorMap one;
  one["input"] = stored_floats(std::vector<float>(5 * 48), {5, 48});
  in.batch = 2;
  EXPECT_THAT(error_of([&] { interop::TensorActivations(one, "one.npy").sequence(m, in, 0, 1); }),
              HasSubstr("has shape [5, 48]: 1 sequence, run.batch asks for 2"));
  // The synthetic source: sequence b is the activation stream under seed + b.
  const SyntheticActivations s;
  RunSettings sb = in;
  sb.seed = in.seed + 1;
  const FloatTensor s1 = s.sequence(m, in, 0, 1), direct = s.input(m, sb, 0);
  EXPECT_TRUE(std::equal(s1.data(), s1.data() + s1.size(), direct.data()));
  const FloatTensor s0 = s.input(m, in, 0);
  EXPECT_FALSE(std::equal(s1.data(), s1.data() + s1.size(), s0.data()));
}

// ---- the CLI: dump, replay from the dump, diff ---------------------------------------------

using Result = mambahw::tb::ShellResult;  // exit code, stdout and stderr

Result run(const std::string& args) { return mambahw::tb::run_shell(std::string(MAMBAHW_BIN) + " " + args + " 2>&1"); }

TEST(DumpAndDiff, ARunReplayedFromItsOwnDumpGivesTheSameBits) {
  const fs::path dir = fs::temp_directory_path() / ("mambahw_dump_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  const std::string src = MAMBAHW_SOURCE_DIR;
  const Result a = run("run " + src + "/configs/default.yaml --seq-len 48 --modes 0,1,2 --no-model --dump " + (dir / "a").string());
  ASSERT_EQ(a.exit_code, 0) << a.output;
  EXPECT_THAT(a.output, HasSubstr("tensors and manifest.json to"));
  ASSERT_TRUE(fs::exists(dir / "a" / "manifest.json"));
  ASSERT_TRUE(fs::exists(dir / "a" / "layer0.mode2.out.npy"));
  ASSERT_TRUE(fs::exists(dir / "a" / "layer0.calibration.npy"));
  // A config whose weights and activations are the dump itself: the
  // checkpoint loader, the file activations and calibration on them must
  // reproduce the synthetic run bit for bit.
  std::ofstream(dir / "replay.yaml") << "model: " << src << "/configs/models/mamba-130m.yaml\n"
                                     << "scheme: " << src << "/configs/schemes/quamba1.yaml\n"
                                     << "weights: {source: tensors, path: a}\n"
                                     << "activations: {source: tensors, path: a}\n";
  const Result b = run("run " + (dir / "replay.yaml").string() + " --modes 0,1,2 --no-model --dump " + (dir / "b").string());
  ASSERT_EQ(b.exit_code, 0) << b.output;
  EXPECT_THAT(b.output, HasSubstr("Layer data: weights"));
  const Result same = run("diff -q " + (dir / "a").string() + " " + (dir / "b").string());
  EXPECT_EQ(same.exit_code, 0) << same.output;
  EXPECT_THAT(same.output, HasSubstr("tensors match bit for bit: yes"));
  // Two tensors that must differ: mode 1 (FP32 SSM input) against mode 0.
  const Result differ = run("diff " + (dir / "a" / "layer0.mode0.out.npy").string() + " " +
                            (dir / "a" / "layer0.mode1.out.npy").string() + " --top 3");
  EXPECT_EQ(differ.exit_code, 1) << differ.output;
  EXPECT_THAT(differ.output, HasSubstr("DIFFER"));
  EXPECT_THAT(differ.output, HasSubstr("ulp:"));
  // Mode 2 is mode 0 bit for bit.
  EXPECT_EQ(run("diff " + (dir / "a" / "layer0.mode0.out.npy").string() + " " + (dir / "b" / "layer0.mode2.out.npy").string()).exit_code, 0);
  // A corrupt file is an error (2), not a difference.
  fs::copy_file(dir / "a" / "layer0.mode0.out.npy", dir / "cut.npy");
  fs::resize_file(dir / "cut.npy", fs::file_size(dir / "cut.npy") - 3);
  const Result bad = run("diff " + (dir / "cut.npy").string() + " " + (dir / "a" / "layer0.mode0.out.npy").string());
  EXPECT_EQ(bad.exit_code, 2) << bad.output;
  EXPECT_THAT(bad.output, HasSubstr("(truncated)"));
  fs::remove_all(dir);
}

TEST(DumpAndDiff, ConfigErrorsForTensorSources) {
  const fs::path dir = fs::temp_directory_path() / ("mambahw_cfg_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const std::string src = MAMBAHW_SOURCE_DIR;
  std::ofstream(dir / "c.yaml") << "model: " << src << "/configs/models/mamba-130m.yaml\n"
                                << "scheme: " << src << "/configs/schemes/quamba1.yaml\n"
                                << "weights: {source: tensors, path: missing.safetensors}\n";
  const Result r = run("run " + (dir / "c.yaml").string());
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_THAT(r.output, HasSubstr("c.yaml:3:"));
  EXPECT_THAT(r.output, HasSubstr("weights.path: no such tensor file or folder"));
  std::ofstream(dir / "d.yaml") << "model: " << src << "/configs/models/mamba-130m.yaml\n"
                                << "scheme: " << src << "/configs/schemes/quamba1.yaml\n"
                                << "weights: {source: synthetic, path: x}\n";
  EXPECT_THAT(run("run " + (dir / "d.yaml").string()).output, HasSubstr("weights.path: only valid with source: tensors"));
  fs::remove_all(dir);
}

}  // namespace
