// `mambahw run --dump DIR`: every tensor of the layers a run computes, one
// .npy file each, and DIR/manifest.json listing them (name, file, dtype,
// shape, layout, layer, mode, producer). Each file is written to a temporary
// name and renamed; an old manifest is removed first and the new one written
// last, so a folder with a manifest is a complete dump.
//
// Names: layer{i}.input, layer{i}.calibration; layer{i}.weights.<checkpoint name> (the FP32 masters,
// named as checkpoint_tensors names them); layer{i}.q.<field> (what the
// accelerator's memories hold); layer{i}.reference.<trace field>;
// layer{i}.mode{m}.<trace field>. docs/layer.md §Dumps lists the fields.
// A dump folder is itself a weights source (layer_prefix "layer{layer}.weights.")
// and an activations source, so a run can be replayed from it.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "mambahw/golden/layer.hpp"
#include "mambahw/studies/layer_accuracy.hpp"
#include "mambahw/tensors/stored_tensor.hpp"

namespace mambahw::interop {

struct NamedTensor {
  std::string name;
  tensors::StoredTensor tensor;
  std::string layout;  // e.g. "[L][d_model]"
};

// The non-empty tensors of a trace (the one list of trace fields and layouts).
std::vector<NamedTensor> trace_tensors(const LayerTrace& tr);
// The quantized layer's codes and scales.
std::vector<NamedTensor> quantized_layer_tensors(const QuantizedLayer& q);

class DumpWriter {
 public:
  // `header` goes into the manifest as is (tool, version, config, ...).
  DumpWriter(std::filesystem::path dir, nlohmann::json header);
  void add(const NamedTensor& t, nlohmann::json info);
  // A TraceObserver body: writes the layer's input, weights and quantized
  // form with its reference trace, then each mode's trace.
  void observe(const ModelShape& m, const LayerCase& lc, int layer, std::optional<SsmInputMode> mode,
               const LayerTrace& tr);
  void finish();  // the manifest, last
  std::size_t count() const { return entries_.size(); }
  const std::filesystem::path& dir() const { return dir_; }

 private:
  std::filesystem::path dir_;
  nlohmann::json header_;
  nlohmann::json entries_ = nlohmann::json::array();
};

}  // namespace mambahw::interop
