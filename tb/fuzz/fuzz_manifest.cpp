// Fuzz target: the manifest parser and the verify path on a fixed, intact
// vector directory. The input is manifest.json; it is verified against the
// template directory of the block it names (vector_templates.hpp), so a
// mutant with a matching hash list reaches the cross-checks and the golden
// replay. verify_directory must never throw and never read outside the
// directory; load_block may refuse with ManifestError, std::invalid_argument
// or std::runtime_error only.
#include "fuzz_target.hpp"

#include <fstream>
#include <iterator>

#include <nlohmann/json.hpp>

#include "mambahw/verif/vector_dir.hpp"
#include "vector_templates.hpp"

namespace fs = std::filesystem;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace mambahw;
  static const fuzz::Scratch root("manifest");
  static const bool made = (fuzz::export_templates(root.path()), true);
  (void)made;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  // The template directory of the block the manifest names (a peek: the
  // verifier itself reads the text as it is).
  std::string block = fuzz::template_blocks()[0];
  const nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_object() && j.contains("block") && j["block"].is_string()) {
    const std::string b = j["block"].get<std::string>();
    for (const std::string& t : fuzz::template_blocks())
      if (t == b) block = b;
  }
  const fs::path dir = root.path() / block;
  const std::string original = [&] {
    std::ifstream in(dir / "manifest.json", std::ios::binary);
    return std::string{std::istreambuf_iterator<char>(in), {}};
  }();
  root.write(block + "/manifest.json", text);
  try {
    const verif::VerifyReport r = verif::verify_directory(dir, [](const std::string&) { return fs::path("/nonexistent"); });
    (void)r;
  } catch (const std::exception& e) {
    fuzz::unexpected("verify_directory", e);
  }
  try {
    (void)verif::load_block(dir);
  } catch (const verif::ManifestError&) {
  } catch (const std::invalid_argument&) {
  } catch (const std::runtime_error&) {
  } catch (const std::exception& e) {
    fuzz::unexpected("load_block", e);
  }
  root.write(block + "/manifest.json", original);
  return 0;
}
