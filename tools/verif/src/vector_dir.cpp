#include "mambahw/verif/vector_dir.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <stdexcept>

#include <fmt/core.h>

#include "mambahw/version.hpp"
#include "mambahw/verif/hex_file.hpp"
#include "mambahw/verif/layer_vectors.hpp"
#include "dir_texts.hpp"

namespace mambahw::verif {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

bool is_export_file(const fs::path& p) {
  const std::string n = p.filename().string();
  return n == "manifest.json" || n == "README.md" || n == "tb_params.svh" || n == "classes.txt" ||
         p.extension() == ".hex" || p.extension() == ".tmp";
}

}  // namespace

namespace {
[[noreturn]] void fs_fail(const std::string& what, const fs::path& p, const std::error_code& ec) {
  throw std::runtime_error(what + " " + p.string() + ": " + ec.message());
}
}  // namespace

namespace {
// Creates `dir` (or finds it) and lists it; refuses a non-empty one unless `force`.
std::vector<fs::path> export_directory_entries(const fs::path& dir, bool force) {
  std::error_code ec;
  const fs::file_status st = fs::status(dir, ec);
  if (st.type() != fs::file_type::not_found && ec) fs_fail("cannot read", dir, ec);
  if (fs::exists(st) && !fs::is_directory(st)) throw std::runtime_error(dir.string() + " exists and is not a directory");
  if (!fs::create_directories(dir, ec) && ec) fs_fail("cannot create the directory", dir, ec);
  std::vector<fs::path> entries;
  fs::directory_iterator it(dir, ec);
  for (; !ec && it != fs::directory_iterator(); it.increment(ec)) entries.push_back(it->path());
  if (ec) fs_fail("cannot list", dir, ec);
  if (!entries.empty() && !force)
    throw std::runtime_error(dir.string() + " is not empty; use --force to replace an earlier export there");
  return entries;
}
}  // namespace

void prepare_export_directory(const fs::path& dir, bool force) {
  const std::vector<fs::path> entries = export_directory_entries(dir, force);
  std::error_code ec;
  for (const auto& p : entries)
    if (!fs::is_regular_file(fs::symlink_status(p, ec)) || !is_export_file(p))
      throw std::runtime_error("--force only replaces an earlier export, but " + dir.string() +
                               " also holds '" + p.filename().string() + "'");
  if (!fs::remove(dir / "manifest.json", ec) && ec)  // first, so the directory stops verifying at once
    fs_fail("cannot remove", dir / "manifest.json", ec);
  for (const auto& p : entries)
    if (!fs::remove(p, ec) && ec) fs_fail("cannot remove", p, ec);
}

void prepare_set_directory(const fs::path& dir, bool force) {
  const std::vector<fs::path> entries = export_directory_entries(dir, force);
  std::error_code ec;
  // An earlier set: its manifest (and temporary files) and block directories, nothing else.
  for (const auto& p : entries) {
    const std::string n = p.filename().string();
    const bool own_file = (n == "manifest.json" || p.extension() == ".tmp") && fs::is_regular_file(fs::symlink_status(p, ec));
    const bool block_dir = fs::is_directory(fs::symlink_status(p, ec)) &&
                           std::find(kBlockNames.begin(), kBlockNames.end(), n) != kBlockNames.end();
    if (!own_file && !block_dir)
      throw std::runtime_error("--force only replaces an earlier export, but " + dir.string() + " also holds '" + n + "'");
  }
  if (!fs::remove(dir / "manifest.json", ec) && ec) fs_fail("cannot remove", dir / "manifest.json", ec);
  for (const auto& p : entries) {
    if (!fs::is_directory(fs::symlink_status(p, ec))) {
      if (!fs::remove(p, ec) && ec) fs_fail("cannot remove", p, ec);
      continue;
    }
    prepare_export_directory(p, true);  // refuses a block directory holding anything but an export
    if (!fs::remove(p, ec) && ec) fs_fail("cannot remove", p, ec);
  }
}

void write_set_manifest(const fs::path& dir, const std::vector<std::string>& blocks,
                        const std::vector<SkippedBlock>& skipped, const json& config_embed) {
  json b = json::array(), s = json::array();
  for (const std::string& name : blocks) {
    const std::string sha = sha256_file(dir / name / "manifest.json");
    if (sha.empty()) throw std::runtime_error("cannot read " + (dir / name / "manifest.json").string());
    b.push_back({{"block", name}, {"directory", name}, {"manifest_sha256", sha}});
  }
  for (const SkippedBlock& k : skipped) s.push_back({{"block", k.block}, {"reason", k.reason}});
  const json m = {{"format", kSetFormat}, {"format_version", kFormatVersion}, {"tool", "mambahw"},
                  {"version", kVersion},  {"git_commit", kGitCommit},         {"blocks", b},
                  {"skipped", s},         {"config", config_embed}};
  write_text_file(dir, "manifest.json", m.dump(2) + "\n");
}

std::string readme_text(const VectorBlock& b, const json& manifest) {
  std::ostringstream r;
  r << "# mambahw test vectors: " << b.name() << "\n\n"
    << "Exported by mambahw " << manifest["version"].get<std::string>() << " (git "
    << manifest["git_commit"].get<std::string>() << "), seed " << manifest["seed"] << ".\n"
    << "Vectors: " << manifest["vectors"] << " (per corner class in manifest.json).\n\n"
    << "Every .hex file is a `$readmemh` image: one word per line, ceil(width/4) lowercase hex\n"
    << "digits, LF line ends. Line i of every port file belongs to transaction i.\n"
    << "manifest.json lists every file with its word width, word count and SHA-256;\n"
    << "check them with `mambahw verify-vectors DIR` or `sha256sum`.\n\n"
    << "| file | width | direction | content |\n|---|---|---|---|\n";
  for (const Port& p : b.ports())
    r << "| " << p.name << ".hex | " << p.width_bits << " | " << (p.stimulus ? "stimulus" : "expected")
      << " | " << p.description << " |\n";
  for (const MemoryImage& m : b.memories())
    r << "| " << m.name << ".hex | " << m.width_bits << " | memory image (" << m.words.size()
      << " words) | " << m.description << " |\n";
  r << "\nParameters (rounding, quantize policy, widths, registers): see manifest.json \"parameters\".\n"
    << "Word layouts: docs/vectors.md, port contract: docs/contracts.md in the mambahw repository.\n"
    << "classes.txt lists the vector classes in file order (first vector, count, class).\n"
    << "tb_params.svh holds the RTL parameters that match these vectors; the verification kit\n"
    << "(tb/kit/verify_rtl.sh, docs/kit.md) runs an RTL implementation against them.\n";
  return r.str();
}

std::string classes_text(const json& class_ranges) {
  std::string t;
  for (const json& r : class_ranges)
    t += fmt::format("{} {} {}\n", r.at("first").get<std::uint64_t>(), r.at("count").get<std::uint64_t>(),
                     r.at("class").get<std::string>());
  return t;
}

std::string tb_params_text(const VectorBlock& b) {
  return "// RTL parameters matching these vectors (mambahw export).\n" + b.sv_params();
}

namespace {
json file_json(const FileRecord& f) {
  return {{"name", f.name}, {"width_bits", f.width_bits}, {"words", f.words}, {"bytes", f.bytes}, {"sha256", f.sha256}};
}
}  // namespace

ExportSummary export_block(const VectorBlock& b, const ExportOptions& o) {
  prepare_export_directory(o.out, o.force);
  json files = json::array();
  json memories = json::array();
  for (const MemoryImage& m : b.memories()) {
    HexFileWriter w(o.out, m.name + ".hex", m.width_bits);
    for (auto v : m.words) w.put(v);
    const FileRecord r = w.finish();
    files.push_back(file_json(r));
    memories.push_back({{"name", m.name}, {"file", r.name}, {"width_bits", m.width_bits},
                        {"words", m.words.size()}, {"description", m.description}});
  }

  std::vector<std::unique_ptr<HexFileWriter>> writers;
  json ports = json::array();
  for (const Port& p : b.ports()) {
    writers.push_back(std::make_unique<HexFileWriter>(o.out, p.name + ".hex", p.width_bits));
    ports.push_back({{"name", p.name}, {"file", p.name + ".hex"}, {"width_bits", p.width_bits},
                     {"direction", p.stimulus ? "stimulus" : "expected"}, {"description", p.description}});
  }
  const std::size_t ns = b.stimulus_ports(), nr = b.response_ports(), frame = b.frame();
  std::vector<std::uint64_t> stim_frame(frame * ns), resp(frame * nr);
  std::size_t filled = 0;  // tuples of the current frame
  ExportSummary sum;
  std::uint64_t class_count = 0;
  const bool tty = o.progress && ::isatty(STDERR_FILENO);
  const Emit emit = [&](std::span<const std::uint64_t> stim) {
    std::copy(stim.begin(), stim.end(), stim_frame.begin() + static_cast<std::ptrdiff_t>(filled * ns));
    if (++filled == frame) {
      b.respond(stim_frame, resp);
      for (std::size_t t = 0; t < frame; ++t) {
        for (std::size_t i = 0; i < ns; ++i) writers[i]->put(stim_frame[t * ns + i]);
        for (std::size_t i = 0; i < nr; ++i) writers[ns + i]->put(resp[t * nr + i]);
      }
      filled = 0;
    }
    ++class_count;
    ++sum.vectors;
    if (tty && (sum.vectors & 0xFFFFF) == 0)
      std::fprintf(stderr, "\r%s: %llu vectors", b.name().c_str(), static_cast<unsigned long long>(sum.vectors));
  };
  std::vector<Corner> corners = o.corners.empty() ? b.corners() : o.corners;
  json per_class = json::object();
  json class_ranges = json::array();  // in file order: vectors [first, first + count) are one class
  auto run_class = [&](Corner c, std::uint64_t seed, std::uint64_t count) {
    const std::uint64_t first = sum.vectors;
    class_count = 0;
    b.generate(c, seed, count, emit);
    const std::string name(to_string(c));
    if (filled != 0)
      throw std::logic_error("block " + b.name() + ", class " + name + ": a partial frame of " + std::to_string(filled) +
                             " of " + std::to_string(frame) + " tuples");
    per_class[name] = class_count;
    if (class_count == 0) return;
    class_ranges.push_back({{"class", name}, {"first", first}, {"count", class_count}});
  };
  for (Corner c : corners) {
    if (c == Corner::kRandom) continue;
    const auto supported = b.corners();
    if (std::find(supported.begin(), supported.end(), c) == supported.end()) continue;
    run_class(c, 0, 0);
  }
  if (o.random && o.count > 0) run_class(Corner::kRandom, o.seed, o.count);
  if (tty) std::fprintf(stderr, "\r%s: %llu vectors\n", b.name().c_str(), static_cast<unsigned long long>(sum.vectors));
  for (auto& w : writers) {
    const FileRecord r = w->finish();
    sum.bytes += r.bytes;
    files.push_back(file_json(r));
  }
  sum.per_class = per_class;

  json manifest = {{"format", kFormat},
                   {"format_version", kFormatVersion},
                   {"tool", "mambahw"},
                   {"version", kVersion},
                   {"git_commit", kGitCommit},
                   {"block", b.name()},
                   {"seed", o.seed},
                   {"random_count", o.random ? o.count : 0},
                   {"vectors", sum.vectors},
                   {"corner_classes", per_class},
                   {"class_ranges", class_ranges},
                   {"parameters", b.parameters()},
                   {"config", o.config_embed},
                   {"ports", ports},
                   {"memories", memories},
                   {"word_format", "$readmemh: one word per line, ceil(width_bits/4) lowercase hex digits, LF"}};
  files.push_back(file_json(write_text_file(o.out, "README.md", readme_text(b, manifest))));
  // The vector classes in file order, "<first> <count> <class>" per line: the
  // verification kit's per-class summary reads it with $fscanf.
  files.push_back(file_json(write_text_file(o.out, "classes.txt", classes_text(class_ranges))));
  files.push_back(file_json(write_text_file(o.out, "tb_params.svh", tb_params_text(b))));
  manifest["files"] = files;
  write_text_file(o.out, "manifest.json", manifest.dump(2) + "\n");
  return sum;
}

}  // namespace mambahw::verif
