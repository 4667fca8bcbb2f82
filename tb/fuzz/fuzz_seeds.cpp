// Writes the seed corpora of the fuzz targets (tb/fuzz/corpus/<target>/):
//   config      every shipped config and technology table with its includes,
//               flattened into one multi-file input (split_files)
//   hex         small $readmemh images of several widths
//   manifest    the manifest.json of every template block (vector_templates)
//   vector_dir  every template block directory as one multi-file input
//   tensors     .npy, .npz and safetensors images
// Run after a change to the formats: fuzz_seeds SOURCE_DIR OUT_DIR.
#include <algorithm>
#include <cstdio>
#include <fstream>
#include <map>
#include <set>
#include <string>

#include "fuzz_target.hpp"
#include "mambahw/tensors/tensor_file.hpp"
#include "vector_templates.hpp"

namespace fs = std::filesystem;
using mambahw::fuzz::NamedFile;

namespace {

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

void put(const fs::path& dir, const std::string& name, const std::string& bytes) {
  fs::create_directories(dir);
  std::ofstream(dir / name, std::ios::binary) << bytes;
}

// A config and every file it includes (relative names ending in .yaml),
// each include renamed to a flat name ("models/x.yaml" -> "models_x.yaml").
std::vector<NamedFile> flattened(const fs::path& top) {
  std::vector<NamedFile> out;
  std::set<std::string> done;
  std::vector<std::pair<fs::path, std::string>> todo{{top, "top.yaml"}};
  while (!todo.empty()) {
    auto [path, name] = todo.back();
    todo.pop_back();
    if (!done.insert(name).second) continue;
    std::string text = slurp(path);
    std::string rewritten;
    std::size_t pos = 0;
    while (pos < text.size()) {
      std::size_t eol = text.find('\n', pos);
      if (eol == std::string::npos) eol = text.size();
      std::string line = text.substr(pos, eol - pos);
      const std::size_t y = line.find(".yaml");
      if (y != std::string::npos && line.find('#') > y) {
        std::size_t b = line.find_last_of(' ', y);  // the value: the last word
        b = b == std::string::npos ? 0 : b + 1;
        const std::string rel = line.substr(b, y + 5 - b);
        std::string flat = rel;
        for (char& c : flat)
          if (c == '/') c = '_';
        todo.push_back({path.parent_path() / rel, flat});
        line = line.substr(0, b) + flat + line.substr(y + 5);
      }
      rewritten += line + (eol < text.size() ? "\n" : "");
      pos = eol + 1;
    }
    // Without whole-line comments: the shipped files explain themselves at
    // length, and every byte of a seed costs the fuzzer time on each run.
    std::string code;
    for (std::size_t p = 0; p < rewritten.size();) {
      std::size_t e = rewritten.find('\n', p);
      e = e == std::string::npos ? rewritten.size() : e + 1;
      const std::string l = rewritten.substr(p, e - p);
      if (l.find_first_not_of(' ') == std::string::npos || l[l.find_first_not_of(' ')] != '#') code += l;
      p = e;
    }
    out.push_back({name, code});
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: fuzz_seeds SOURCE_DIR OUT_DIR\n");
    return 2;
  }
  const fs::path src = argv[1], out = argv[2];
  for (const auto& e : fs::recursive_directory_iterator(src / "configs")) {
    if (e.path().extension() != ".yaml") continue;
    std::string name = fs::relative(e.path(), src / "configs").string();
    for (char& c : name)
      if (c == '/') c = '_';
    put(out / "config", name, mambahw::fuzz::join_files(flattened(e.path())));
  }
  put(out / "hex", "w8", std::string("\x07") + "00\n7f\n80\nff\n");
  put(out / "hex", "w5", std::string("\x04") + "00\n1f\n10\n");
  put(out / "hex", "w32", std::string("\x1f") + "7fc00000\n00000001\nff800000\n");
  put(out / "hex", "w64", std::string("\x3f") + "ffffffffffffffff\n0000000000000000\n");
  put(out / "hex", "w1", std::string("\x00", 1) + "0\n1\n");

  const fs::path tmp = fs::temp_directory_path() / "mambahw_fuzz_seeds";
  fs::remove_all(tmp);
  mambahw::fuzz::export_templates(tmp);
  for (const std::string& b : mambahw::fuzz::template_blocks()) {
    put(out / "manifest", b + ".json", slurp(tmp / b / "manifest.json"));
    std::vector<NamedFile> files{{"manifest.json", slurp(tmp / b / "manifest.json")}};
    std::vector<fs::path> names;
    for (const auto& e : fs::directory_iterator(tmp / b)) names.push_back(e.path());
    std::sort(names.begin(), names.end());
    for (const fs::path& p : names)
      if (p.filename() != "manifest.json") files.push_back({p.filename().string(), slurp(p)});
    put(out / "vector_dir", b, mambahw::fuzz::join_files(files));
  }
  fs::remove_all(tmp);

  using namespace mambahw::tensors;
  TensorMap m;
  m["w"] = stored_floats(std::vector<float>{1.0f, -2.5f, 0.0f, 3.0f, 0.5f, -0.25f}, {2, 3});
  m["codes"] = stored_int8(std::vector<std::int8_t>{1, -2, 3, -128}, {4});
  m["h"] = stored_fp16(std::vector<std::uint16_t>{0x3C00, 0xC000, 0x7BFF}, {3, 1});
  auto bytes = [](char format, const std::vector<std::byte>& img) {
    std::string s(1, format);
    s.append(reinterpret_cast<const char*>(img.data()), img.size());
    return s;
  };
  put(out / "tensors", "npy", bytes('\0', npy_image(m.at("w"))));
  put(out / "tensors", "npy_int8", bytes('\0', npy_image(m.at("codes"))));
  put(out / "tensors", "npz", bytes('\1', npz_image(m)));
  put(out / "tensors", "safetensors", bytes('\2', safetensors_image(m, {{"format", "pt"}})));
  std::printf("seeds written to %s\n", out.c_str());
  return 0;
}
