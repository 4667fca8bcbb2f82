// Fuzz target: a whole vector directory. The input holds manifest.json and
// the directory's other files (fuzz_target.hpp, split_files). Before
// verifying, the harness re-signs the manifest (bytes, words and SHA-256 of
// every listed file that the input provides), so mutated files get past the
// hash check to the cross-checks (word counts, registers, regenerated
// stimulus, tb_params.svh, classes.txt, README.md) and the golden replay.
// verify_directory must never throw; load_block may refuse with
// ManifestError, std::invalid_argument or std::runtime_error only.
#include "fuzz_target.hpp"

#include <algorithm>
#include <map>

#include <nlohmann/json.hpp>

#include "mambahw/verif/hex_file.hpp"
#include "mambahw/verif/vector_dir.hpp"

namespace fs = std::filesystem;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace mambahw;
  using nlohmann::json;
  static const fuzz::Scratch dir("vector_dir");
  dir.clear();
  std::vector<fuzz::NamedFile> files =
      fuzz::split_files({reinterpret_cast<const char*>(data), size}, "manifest.json");
  std::map<std::string, const std::string*> given;
  for (const fuzz::NamedFile& f : files) given[f.name] = &f.bytes;
  json m = json::parse(*given["manifest.json"], nullptr, false);
  if (m.is_object() && m.contains("files") && m["files"].is_array()) {
    for (json& f : m["files"]) {
      if (!f.is_object() || !f.contains("name") || !f["name"].is_string()) continue;
      const auto it = given.find(f["name"].get<std::string>());
      if (it == given.end() || it->first == "manifest.json") continue;
      const std::string& b = *it->second;
      f["bytes"] = b.size();
      f["sha256"] = verif::sha256_bytes(b);
      f["words"] = static_cast<std::uint64_t>(std::count(b.begin(), b.end(), '\n'));
    }
    given["manifest.json"] = nullptr;
    dir.write("manifest.json", m.dump(-1, ' ', false, json::error_handler_t::replace));
  }
  for (const auto& [name, bytes] : given)
    if (bytes) dir.write(name, *bytes);
  try {
    (void)verif::verify_directory(dir.path(), [](const std::string&) { return fs::path("/nonexistent"); });
  } catch (const std::exception& e) {
    fuzz::unexpected("verify_directory", e);
  }
  try {
    (void)verif::load_block(dir.path());
  } catch (const verif::ManifestError&) {
  } catch (const std::invalid_argument&) {
  } catch (const std::runtime_error&) {
  } catch (const std::exception& e) {
    fuzz::unexpected("load_block", e);
  }
  return 0;
}
