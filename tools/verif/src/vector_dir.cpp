#include "mambahw/verif/vector_dir.hpp"

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <stdexcept>

#include <fmt/core.h>

#include "mambahw/version.hpp"
#include "mambahw/verif/hex_file.hpp"

namespace mambahw::verif {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr const char* kFormat = "mambahw-vectors";
constexpr int kFormatVersion = 1;

bool is_export_file(const fs::path& p) {
  const std::string n = p.filename().string();
  return n == "manifest.json" || n == "README.md" || n == "tb_params.svh" || p.extension() == ".hex" ||
         p.extension() == ".tmp";
}

void prepare_directory(const fs::path& dir, bool force) {
  if (fs::exists(dir) && !fs::is_directory(dir))
    throw std::runtime_error(dir.string() + " exists and is not a directory");
  fs::create_directories(dir);
  std::vector<fs::path> entries;
  for (const auto& e : fs::directory_iterator(dir)) entries.push_back(e.path());
  if (entries.empty()) return;
  if (!force)
    throw std::runtime_error(dir.string() + " is not empty; use --force to replace an earlier export there");
  for (const auto& p : entries)
    if (!fs::is_regular_file(p) || !is_export_file(p))
      throw std::runtime_error("--force only replaces an earlier export, but " + dir.string() +
                               " also holds '" + p.filename().string() + "'");
  fs::remove(dir / "manifest.json");  // first, so the directory stops verifying at once
  for (const auto& p : entries) fs::remove(p);
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
    << "Word layouts: docs/vectors.md in the mambahw repository. SystemVerilog testbench:\n"
    << "tb/vectors/tb_" << b.name() << ".sv (runs under Icarus Verilog and Verilator); tb_params.svh\n"
    << "holds the RTL parameters that match these vectors.\n";
  return r.str();
}

json file_json(const FileRecord& f) {
  return {{"name", f.name}, {"width_bits", f.width_bits}, {"words", f.words}, {"bytes", f.bytes}, {"sha256", f.sha256}};
}

}  // namespace

ExportSummary export_block(const VectorBlock& b, const ExportOptions& o) {
  prepare_directory(o.out, o.force);
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
  const std::size_t ns = b.stimulus_ports();
  std::vector<std::uint64_t> resp(b.response_ports());
  ExportSummary sum;
  std::uint64_t class_count = 0;
  const bool tty = o.progress && ::isatty(STDERR_FILENO);
  const Emit emit = [&](std::span<const std::uint64_t> stim) {
    b.respond(stim, resp);
    for (std::size_t i = 0; i < ns; ++i) writers[i]->put(stim[i]);
    for (std::size_t i = 0; i < resp.size(); ++i) writers[ns + i]->put(resp[i]);
    ++class_count;
    ++sum.vectors;
    if (tty && (sum.vectors & 0xFFFFF) == 0)
      std::fprintf(stderr, "\r%s: %llu vectors", b.name().c_str(), static_cast<unsigned long long>(sum.vectors));
  };
  std::vector<Corner> corners = o.corners.empty() ? b.corners() : o.corners;
  json per_class = json::object();
  for (Corner c : corners) {
    if (c == Corner::kRandom) continue;
    const auto supported = b.corners();
    if (std::find(supported.begin(), supported.end(), c) == supported.end()) continue;
    class_count = 0;
    b.generate(c, 0, 0, emit);
    per_class[std::string(to_string(c))] = class_count;
  }
  if (o.random && o.count > 0) {
    class_count = 0;
    b.generate(Corner::kRandom, o.seed, o.count, emit);
    per_class["random"] = class_count;
  }
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
                   {"parameters", b.parameters()},
                   {"config", o.config_embed},
                   {"ports", ports},
                   {"memories", memories},
                   {"word_format", "$readmemh: one word per line, ceil(width_bits/4) lowercase hex digits, LF"}};
  files.push_back(file_json(write_text_file(o.out, "README.md", readme_text(b, manifest))));
  files.push_back(file_json(write_text_file(
      o.out, "tb_params.svh", "// RTL parameters matching these vectors (mambahw export).\n" + b.sv_params())));
  manifest["files"] = files;
  write_text_file(o.out, "manifest.json", manifest.dump(2) + "\n");
  return sum;
}

// ---- verification -------------------------------------------------------------------

namespace {

struct Listed {
  int width_bits;
  std::uint64_t words, bytes;
  std::string sha256;
};

// File-level checks; returns false if any file problem was found.
bool check_files(const fs::path& dir, const std::map<std::string, Listed>& listed, VerifyReport& rep) {
  const std::size_t before = rep.problems.size();
  for (const auto& [name, f] : listed) {
    const fs::path p = dir / name;
    if (!fs::exists(p)) {
      rep.problems.push_back(name + ": missing");
      continue;
    }
    const std::uint64_t size = fs::file_size(p);
    if (size != f.bytes)
      rep.problems.push_back(fmt::format("{}: {} bytes, the manifest says {}{}", name, size, f.bytes,
                                         size < f.bytes ? " (truncated)" : ""));
    if (const std::string h = sha256_file(p); h != f.sha256)
      rep.problems.push_back(name + ": SHA-256 " + h + " does not match the manifest's " + f.sha256 + " (corrupted)");
    if (f.width_bits == 0) continue;
    HexFileReader r(p, f.width_bits);
    std::uint64_t w, n = 0;
    while (r.next(w)) ++n;
    if (!r.error().empty()) rep.problems.push_back(name + ": " + r.error());
    else if (n != f.words)
      rep.problems.push_back(fmt::format("{}: {} words, the manifest says {}", name, n, f.words));
  }
  for (const auto& e : fs::directory_iterator(dir)) {
    const std::string n = e.path().filename().string();
    if (n == "manifest.json" || listed.count(n)) continue;
    rep.problems.push_back(n + (e.path().extension() == ".tmp" ? ": leftover temporary file (interrupted export?)"
                                                               : ": not listed in the manifest (extra file)"));
  }
  return rep.problems.size() == before;
}

std::string word_hex(std::uint64_t v, int width) { return fmt::format("0x{:0{}x}", v, (width + 3) / 4); }

void replay(const fs::path& dir, const json& m, VerifyReport& rep) {
  std::vector<MemoryImage> mems;
  for (const auto& mj : m.at("memories")) {
    MemoryImage img{mj.at("name"), mj.at("width_bits"), {}, ""};
    HexFileReader r(dir / mj.at("file").get<std::string>(), img.width_bits);
    std::uint64_t w;
    while (r.next(w)) img.words.push_back(w);
    mems.push_back(std::move(img));
  }
  const auto block = block_from_manifest(m.at("block"), m.at("parameters"), mems);
  const auto& ports = block->ports();
  const json& mports = m.at("ports");
  if (mports.size() != ports.size()) {
    rep.problems.push_back("manifest ports do not match block " + block->name());
    return;
  }
  std::vector<std::unique_ptr<HexFileReader>> readers;
  for (std::size_t i = 0; i < ports.size(); ++i) {
    if (mports[i].at("name") != ports[i].name || mports[i].at("width_bits") != ports[i].width_bits) {
      rep.problems.push_back("manifest port " + mports[i].at("name").get<std::string>() +
                             " does not match block port " + ports[i].name);
      return;
    }
    readers.push_back(std::make_unique<HexFileReader>(dir / (ports[i].name + ".hex"), ports[i].width_bits));
  }
  const std::size_t ns = block->stimulus_ports();
  std::vector<std::uint64_t> stim(ns), want(ports.size() - ns), got(ports.size() - ns);
  for (;;) {
    bool more = true;
    for (std::size_t i = 0; i < ns; ++i) more = readers[i]->next(stim[i]) && more;
    for (std::size_t i = 0; i < want.size(); ++i) more = readers[ns + i]->next(want[i]) && more;
    if (!more) break;
    block->respond(stim, got);
    for (std::size_t i = 0; i < want.size(); ++i) {
      if (got[i] == want[i]) continue;
      if (++rep.mismatches <= 10) {
        std::string s;
        for (std::size_t k = 0; k < ns; ++k) s += " " + ports[k].name + "=" + word_hex(stim[k], ports[k].width_bits);
        const Port& p = ports[ns + i];
        rep.problems.push_back(fmt::format("vector {} (line {}): {}.hex holds {}, the golden model gives {};{}",
                                           rep.vectors, rep.vectors + 1, p.name, word_hex(want[i], p.width_bits),
                                           word_hex(got[i], p.width_bits), s));
      }
    }
    ++rep.vectors;
  }
  if (rep.mismatches > 10)
    rep.problems.push_back(fmt::format("{} mismatching words in all ({} shown)", rep.mismatches, 10));
  if (rep.vectors != m.at("vectors").get<std::uint64_t>())
    rep.problems.push_back(fmt::format("replayed {} vectors, the manifest says {}", rep.vectors,
                                       m.at("vectors").get<std::uint64_t>()));
}

}  // namespace

VerifyReport verify_directory(const fs::path& dir) {
  VerifyReport rep;
  if (!fs::is_directory(dir)) {
    rep.problems.push_back(dir.string() + ": not a directory");
    return rep;
  }
  const fs::path mp = dir / "manifest.json";
  if (!fs::exists(mp)) {
    rep.problems.push_back("manifest.json: missing (an export writes it last: incomplete or interrupted export?)");
    return rep;
  }
  json m;
  try {
    std::ifstream in(mp);
    m = json::parse(in);
    if (m.at("format") != kFormat) throw std::runtime_error("format is not " + std::string(kFormat));
    if (m.at("format_version") != kFormatVersion) throw std::runtime_error("unsupported format_version");
    const std::string commit = m.at("git_commit");
    rep.producer = "mambahw " + m.at("version").get<std::string>() + " (git " + commit + ")";
    if (commit.ends_with("-dirty"))
      rep.warnings.push_back("exported by a binary built from uncommitted source (git " + commit +
                             "): the commit alone does not reproduce these vectors");
    std::map<std::string, Listed> listed;
    for (const auto& f : m.at("files"))
      listed[f.at("name")] = {f.at("width_bits"), f.at("words"), f.at("bytes"), f.at("sha256")};
    if (!check_files(dir, listed, rep)) return rep;
    replay(dir, m, rep);
  } catch (const std::exception& e) {
    rep.problems.push_back(std::string("manifest.json: ") + e.what());
  }
  return rep;
}

}  // namespace mambahw::verif
