#include "vector_templates.hpp"

#include "mambahw/golden/scale_table.hpp"
#include "mambahw/verif/blocks.hpp"
#include "mambahw/verif/vector_dir.hpp"

namespace mambahw::fuzz {

namespace {
std::unique_ptr<verif::VectorBlock> make(const std::string& name) {
  using namespace verif;
  NumericsPolicy p;
  const DualScaleFormat f = DualScaleFormat::make(4, true, 0.05f, 7.0f);
  if (name == "conv_out_quantizer") return conv_out_quantizer_block(p, f, {0.01f, 0.125f});
  if (name == "ssm_dequant") return ssm_dequant_block(Denormals::kPreserve, f, {0.01f});
  if (name == "scale_index_lookup") {
    ScaleTableShape s;
    s.ngroups = 2;
    s.head_groups = 2;
    s.dim_groups = 2;
    s.heads_per_group = 2;
    s.headdim = 4;
    return scale_index_lookup_block(Quamba2ScaleTable::uniform(s, 0.5f));
  }
  if (name == "exp_unit") return exp_unit_block(Denormals::kPreserve);
  if (name == "softplus") return softplus_block(true, Denormals::kPreserve);
  if (name == "gemm_requant") return gemm_requant_block(RequantPolicy{});
  if (name == "conv_unit") return conv_unit_block(4, ConvOrder::kPrefill, p);
  if (name == "ssm_step") return ssm_step_block(Denormals::kPreserve);
  if (name == "hadamard") return hadamard_block(*hadamard_size(16), 0.25f, HadamardQuantPolicy{});
  return nullptr;
}
}  // namespace

const std::vector<std::string>& template_blocks() {
  static const std::vector<std::string> b = {"conv_out_quantizer", "ssm_dequant", "scale_index_lookup",
                                             "exp_unit",           "softplus",    "gemm_requant",
                                             "conv_unit",          "ssm_step",    "hadamard"};
  return b;
}

void export_templates(const std::filesystem::path& root) {
  for (const std::string& name : template_blocks()) {
    const auto b = make(name);
    verif::ExportOptions o;
    o.block = name;
    o.seed = 3;
    // Few vectors: every execution verifies a directory (hashes, regenerated
    // stimulus, golden replay), and the fuzzer's speed is what the size buys.
    // One small directed class where a block has one, then random vectors.
    o.count = name == "hadamard" ? 16 : 6;  // hadamard: one transform of 16
    if (name == "conv_out_quantizer") o.corners = {verif::Corner::kSpecials};
    else if (name == "ssm_dequant") o.corners = {verif::Corner::kSaturation};
    else if (name == "scale_index_lookup") o.corners = {verif::Corner::kRangeBoundaries};
    else o.corners = {verif::Corner::kRandom};
    o.out = root / name;
    o.force = true;
    verif::export_block(*b, o);
  }
}

}  // namespace mambahw::fuzz
