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
#include "mambahw/verif/layer_vectors.hpp"

namespace mambahw::verif {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr const char* kFormat = "mambahw-vectors";
constexpr const char* kLayerFormat = "mambahw-layer-vectors";
constexpr int kFormatVersion = 1;

bool is_export_file(const fs::path& p) {
  const std::string n = p.filename().string();
  return n == "manifest.json" || n == "README.md" || n == "tb_params.svh" || n == "classes.txt" ||
         p.extension() == ".hex" || p.extension() == ".tmp";
}

}  // namespace

void prepare_export_directory(const fs::path& dir, bool force) {
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

namespace {

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
  std::string classes_txt;
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
    classes_txt += fmt::format("{} {} {}\n", first, class_count, name);
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
  files.push_back(file_json(write_text_file(o.out, "classes.txt", classes_txt)));
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

// The block of an exported directory, from its manifest's parameters and
// its memory images alone.
std::unique_ptr<VectorBlock> block_of(const fs::path& dir, const json& m) {
  std::vector<MemoryImage> mems;
  for (const auto& mj : m.at("memories")) {
    MemoryImage img{mj.at("name"), mj.at("width_bits"), {}, ""};
    HexFileReader r(dir / mj.at("file").get<std::string>(), img.width_bits);
    if (!r.ok()) throw std::runtime_error("cannot read memory image " + mj.at("file").get<std::string>());
    std::uint64_t w;
    while (r.next(w)) img.words.push_back(w);
    if (!r.error().empty()) throw std::runtime_error(mj.at("file").get<std::string>() + ": " + r.error());
    mems.push_back(std::move(img));
  }
  return block_from_manifest(m.at("block"), m.at("parameters"), mems);
}

void replay(const fs::path& dir, const json& m, VerifyReport& rep) {
  const auto block = block_of(dir, m);
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
  const std::size_t ns = block->stimulus_ports(), nr = ports.size() - ns, frame = block->frame();
  std::vector<std::uint64_t> stim(frame * ns), want(frame * nr), got(frame * nr);
  for (;;) {
    bool more = true;
    for (std::size_t t = 0; t < frame && more; ++t) {
      for (std::size_t i = 0; i < ns; ++i) more = readers[i]->next(stim[t * ns + i]) && more;
      for (std::size_t i = 0; i < nr; ++i) more = readers[ns + i]->next(want[t * nr + i]) && more;
    }
    if (!more) break;
    block->respond(stim, got);
    for (std::size_t t = 0; t < frame; ++t, ++rep.vectors) {
      for (std::size_t i = 0; i < nr; ++i) {
        const std::uint64_t g = got[t * nr + i], w = want[t * nr + i];
        if (g == w) continue;
        if (++rep.mismatches <= 10) {
          std::string s;
          for (std::size_t k = 0; k < ns; ++k)
            s += " " + ports[k].name + "=" + word_hex(stim[t * ns + k], ports[k].width_bits);
          const Port& p = ports[ns + i];
          rep.problems.push_back(fmt::format("vector {} (line {}): {}.hex holds {}, the golden model gives {};{}",
                                             rep.vectors, rep.vectors + 1, p.name, word_hex(w, p.width_bits),
                                             word_hex(g, p.width_bits), s));
        }
      }
    }
  }
  if (rep.mismatches > 10)
    rep.problems.push_back(fmt::format("{} mismatching words in all ({} shown)", rep.mismatches, 10));
  if (rep.vectors != m.at("vectors").get<std::uint64_t>())
    rep.problems.push_back(fmt::format("replayed {} vectors, the manifest says {}", rep.vectors,
                                       m.at("vectors").get<std::uint64_t>()));
}

// Layer vectors: the config the manifest names is loaded again (when its
// files still have the recorded SHA-256), the layer is exported afresh into a
// temporary directory, and every tensor file must be identical.
void replay_layer(const json& m, const ConfigResolver& resolve, VerifyReport& rep) {
  const json& cfg = m.at("config");
  const std::string given = cfg.at("path").get<std::string>();
  const fs::path path = resolve ? resolve(given) : fs::path(given);
  if (!fs::exists(path)) {
    rep.warnings.push_back("config " + path.string() + " not found from here: the tensors were not recomputed");
    return;
  }
  const Config c = load_config(path);
  if (sha256_file(c.file) != cfg.at("sha256").get<std::string>()) {
    rep.warnings.push_back("config " + path.string() + " changed since the export: the tensors were not recomputed");
    return;
  }
  LayerExportOptions o;
  o.out = fs::temp_directory_path() / fmt::format("mambahw_layer_replay_{}", ::getpid());
  o.force = true;
  o.layer = m.at("layer").get<int>();
  o.seq_len = m.at("tokens").get<int>();
  o.config_embed = cfg;
  fs::remove_all(o.out);
  export_layer(c, o);
  const json fresh = json::parse(std::ifstream(o.out / "manifest.json"));
  std::map<std::string, std::string> sha;
  for (const auto& f : fresh.at("files")) sha[f.at("name")] = f.at("sha256");
  for (const auto& f : m.at("files")) {
    const std::string name = f.at("name");
    if (name == "README.md") continue;
    if (sha[name] != f.at("sha256").get<std::string>())
      rep.problems.push_back(name + ": the golden model, run again on the same config, gives different words");
  }
  rep.mismatches = rep.problems.size();
  for (const auto& t : m.at("tensors")) rep.vectors += t.at("words").get<std::uint64_t>();
  rep.replayed = true;
  fs::remove_all(o.out);
}

}  // namespace

std::unique_ptr<VectorBlock> load_block(const fs::path& dir) {
  std::ifstream in(dir / "manifest.json");
  if (!in) throw std::runtime_error((dir / "manifest.json").string() + ": cannot open (not an exported vector directory?)");
  const json m = json::parse(in);
  if (m.at("format") != kFormat) throw std::runtime_error("manifest.json: format is not " + std::string(kFormat));
  return block_of(dir, m);
}

VerifyReport verify_directory(const fs::path& dir, const ConfigResolver& resolve_config) {
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
    if (m.at("format") != kFormat && m.at("format") != kLayerFormat)
      throw std::runtime_error("format is not " + std::string(kFormat) + " or " + kLayerFormat);
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
    if (m.at("block") == "layer") {
      replay_layer(m, resolve_config, rep);
      return rep;
    }
    replay(dir, m, rep);
    rep.replayed = true;
  } catch (const std::exception& e) {
    rep.problems.push_back(std::string("manifest.json: ") + e.what());
  }
  return rep;
}

}  // namespace mambahw::verif
