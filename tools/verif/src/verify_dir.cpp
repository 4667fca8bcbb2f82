// verify-vectors: an exported directory checked against its manifest, the
// manifest against its files, and the expected words against the golden
// model (docs/vectors.md, "Verification"). Nothing in the directory is
// trusted: every manifest value goes through a checked Field, every file
// named must be a plain file inside the directory, and every problem becomes
// one line naming the file and the check.
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <set>
#include <stdexcept>

#include <fmt/core.h>

#include "mambahw/verif/hex_file.hpp"
#include "mambahw/verif/layer_vectors.hpp"
#include "mambahw/verif/manifest.hpp"
#include "mambahw/verif/vector_dir.hpp"
#include "dir_texts.hpp"

namespace mambahw::verif {

namespace fs = std::filesystem;
using nlohmann::json;

bool VerifyReport::ok() const {
  if (!problems.empty()) return false;
  return std::all_of(blocks.begin(), blocks.end(), [](const VerifyReport& b) { return b.ok(); });
}

namespace {

constexpr std::size_t kMaxShown = 10;  // mismatching words listed one by one

struct Listed {
  int width_bits = 0;
  std::uint64_t words = 0, bytes = 0;
  std::string sha256;
  std::uint64_t words_found = 0;  // counted in the file
};
using ListedFiles = std::map<std::string, Listed>;

std::string word_hex(std::uint64_t v, int width) { return fmt::format("0x{:0{}x}", v, (width + 3) / 4); }

// The manifest's `files`: plain names, each once, with checked fields.
ListedFiles listed_files(const Field& m) {
  ListedFiles out;
  const Field files = m.at("files");
  for (std::size_t i = 0, n = files.size(4096); i < n; ++i) {
    const Field f = files.at(i);
    const Field nf = f.at("name");
    const std::string name = nf.string(1024);
    if (const std::string why = plain_file_name_problem(name); !why.empty()) nf.fail("'" + name + "' is " + why);
    if (name == "manifest.json") nf.fail("manifest.json cannot list itself");
    Listed l;
    l.width_bits = f.at("width_bits").small_int(0, 64);
    l.words = f.at("words").count();
    l.bytes = f.at("bytes").count();
    const Field sf = f.at("sha256");
    l.sha256 = sf.string(64);
    if (l.sha256.size() != 64 || l.sha256.find_first_not_of("0123456789abcdef") != std::string::npos)
      sf.fail("must be 64 lowercase hex digits");
    if (!out.emplace(name, l).second) nf.fail("'" + name + "' is listed twice");
  }
  return out;
}

// File-level checks; false if any problem was found.
bool check_files(const fs::path& dir, ListedFiles& listed, VerifyReport& rep) {
  const std::size_t before = rep.problems.size();
  for (auto& [name, f] : listed) {
    const fs::path p = dir / name;
    if (const std::string why = plain_file_problem(p); !why.empty()) {
      rep.problems.push_back(name + ": " + why);
      continue;
    }
    std::error_code ec;
    const std::uintmax_t size = fs::file_size(p, ec);
    if (ec) {
      rep.problems.push_back(name + ": cannot be read (" + ec.message() + ")");
      continue;
    }
    if (size != f.bytes)
      rep.problems.push_back(fmt::format("{}: {} bytes, the manifest says {}{}", name, size, f.bytes,
                                         size < f.bytes ? " (truncated)" : ""));
    const std::string h = sha256_file(p);
    if (h.empty()) rep.problems.push_back(name + ": cannot be read");
    else if (h != f.sha256)
      rep.problems.push_back(name + ": SHA-256 " + h + " does not match the manifest's " + f.sha256 + " (corrupted)");
    if (f.width_bits == 0) continue;
    HexFileReader r(p, f.width_bits);
    std::uint64_t w;
    while (r.next(w)) ++f.words_found;
    if (!r.error().empty()) rep.problems.push_back(name + ": " + r.error());
    else if (f.words_found != f.words)
      rep.problems.push_back(fmt::format("{}: {} words, the manifest says {}", name, f.words_found, f.words));
  }
  std::error_code ec;
  fs::directory_iterator it(dir, ec);
  if (ec) rep.problems.push_back(dir.string() + ": cannot list the directory (" + ec.message() + ")");
  for (; !ec && it != fs::directory_iterator(); it.increment(ec)) {
    const std::string n = it->path().filename().string();
    if (n == "manifest.json" || listed.count(n)) continue;
    std::error_code dec;
    if (it->is_directory(dec)) rep.problems.push_back(n + "/: a directory the manifest does not list (extra)");
    else if (it->path().extension() == ".tmp") rep.problems.push_back(n + ": leftover temporary file (interrupted export?)");
    else rep.problems.push_back(n + ": not listed in the manifest (extra file)");
  }
  if (ec && rep.problems.size() == before)
    rep.problems.push_back(dir.string() + ": cannot list the directory (" + ec.message() + ")");
  return rep.problems.size() == before;
}

// A file the manifest lists as `what` (a port or a memory): listed, with the
// width the block needs.
const Listed* listed_as(const ListedFiles& files, const Field& entry, int width, VerifyReport& rep) {
  const Field ff = entry.at("file");
  const std::string file = ff.string(1024);
  const auto it = files.find(file);
  if (it == files.end()) {
    rep.problems.push_back(fmt::format("manifest.json: {}: '{}' is not among the files the manifest lists "
                                       "(only listed, hashed files are read)", ff.path(), file));
    return nullptr;
  }
  if (it->second.width_bits != width) {
    rep.problems.push_back(fmt::format("manifest.json: files: {} has width_bits {}, but {} is {} bits wide", file,
                                       it->second.width_bits, entry.path(), width));
    return nullptr;
  }
  return &it->second;
}

// The block of an exported directory, from its manifest's parameters and
// its memory images alone.
std::unique_ptr<VectorBlock> block_of(const fs::path& dir, const Field& m) {
  std::vector<MemoryImage> mems;
  const Field ms = m.at("memories");
  for (std::size_t i = 0, n = ms.size(64); i < n; ++i) {
    const Field mj = ms.at(i);
    MemoryImage img{mj.at("name").string(64), mj.at("width_bits").small_int(1, 64), {}, ""};
    const std::string file = mj.at("file").string(1024);
    if (const std::string why = plain_file_name_problem(file); !why.empty()) mj.at("file").fail("'" + file + "' is " + why);
    if (file != img.name + ".hex")
      mj.at("file").fail(fmt::format("is '{}', but memory {} is in {}.hex", file, img.name, img.name));
    if (const std::string why = plain_file_problem(dir / file); !why.empty()) throw ManifestError(file + ": " + why);
    HexFileReader r(dir / file, img.width_bits);
    std::uint64_t w;
    while (img.words.size() < (1u << 24) && r.next(w)) img.words.push_back(w);
    if (!r.error().empty()) throw ManifestError(file + ": " + r.error());
    mems.push_back(std::move(img));
  }
  return block_from_manifest(m.at("block").string(64), m.at("parameters").json(), mems);
}

struct ClassRange {
  Corner corner;
  std::uint64_t first, count;
};

// corner_classes, class_ranges, vectors and random_count must describe one
// another: the ranges tile [0, vectors) in order, each class's count is the
// one corner_classes gives, and the random class holds random_count vectors.
std::vector<ClassRange> class_ranges(const Field& m, std::uint64_t vectors, VerifyReport& rep) {
  const Field cc = m.at("corner_classes");
  cc.require_object();
  std::map<Corner, std::uint64_t> per_class;
  std::uint64_t total = 0;
  for (const auto& [k, v] : cc.json().items()) {
    const Field f(v, cc.path() + "." + k);
    const auto c = parse_enum<Corner>(k);
    if (!c) f.fail("is not a corner class");
    per_class[*c] = f.count();
    total += per_class[*c];
  }
  if (total != vectors)
    rep.problems.push_back(fmt::format("manifest.json: corner_classes add up to {} vectors, but vectors is {}", total, vectors));
  std::vector<ClassRange> out;
  const Field cr = m.at("class_ranges");
  std::uint64_t next = 0;
  for (std::size_t i = 0, n = cr.size(64); i < n; ++i) {
    const Field r = cr.at(i);
    ClassRange x{r.at("class").enumerated<Corner>(), r.at("first").count(), r.at("count").count()};
    if (x.first != next) r.at("first").fail(fmt::format("is {}, but the previous classes end at vector {}", x.first, next));
    const auto it = per_class.find(x.corner);
    if (it == per_class.end() || it->second != x.count)
      r.at("count").fail(fmt::format("is {}, but corner_classes.{} is {}", x.count, to_string(x.corner),
                                     it == per_class.end() ? std::string("missing") : std::to_string(it->second)));
    for (const ClassRange& y : out)
      if (y.corner == x.corner) r.at("class").fail("repeats class " + std::string(to_string(x.corner)));
    next += x.count;
    out.push_back(x);
  }
  if (next != vectors)
    rep.problems.push_back(fmt::format("manifest.json: class_ranges cover {} vectors, but vectors is {}", next, vectors));
  for (const auto& [c, n] : per_class)
    if (n > 0 && std::none_of(out.begin(), out.end(), [c = c](const ClassRange& r) { return r.corner == c; }))
      rep.problems.push_back(fmt::format("manifest.json: corner_classes.{} has {} vectors, but class_ranges has no "
                                         "such range", to_string(c), n));
  return out;
}

// A text file the export derives from the manifest, regenerated and compared.
void check_text(const fs::path& dir, const std::string& name, const std::string& want, const std::string& from,
                VerifyReport& rep) {
  std::ifstream in(dir / name, std::ios::binary);
  const std::string have{std::istreambuf_iterator<char>(in), {}};
  if (have == want) return;
  std::size_t line = 1, i = 0;
  for (; i < std::min(have.size(), want.size()) && have[i] == want[i]; ++i) line += have[i] == '\n';
  auto line_at = [&](const std::string& t) {
    const std::size_t b = t.rfind('\n', i == 0 ? 0 : i - 1), e = t.find('\n', i);
    const std::size_t from_b = (b == std::string::npos || i == 0) ? 0 : b + 1;
    return t.substr(from_b, (e == std::string::npos ? t.size() : e) - from_b);
  };
  rep.problems.push_back(fmt::format("{}: does not match {} (line {}: the file has '{}', {} gives '{}')", name, from,
                                     line, line_at(have), from, line_at(want)));
}

using Readers = std::vector<std::unique_ptr<HexFileReader>>;
Readers open_ports(const fs::path& dir, const std::vector<Port>& ports, std::size_t from, std::size_t to) {
  Readers r;
  for (std::size_t i = from; i < to; ++i) r.push_back(std::make_unique<HexFileReader>(dir / (ports[i].name + ".hex"), ports[i].width_bits));
  return r;
}

// The stimulus files must be what the block's generators give for the
// manifest's classes, seed and random_count: this ties seed, random_count,
// the corner classes and every register and scale list in the parameters to
// the files they describe.
void check_stimulus(const fs::path& dir, const VectorBlock& b, const std::vector<ClassRange>& ranges,
                    std::uint64_t seed, std::uint64_t random_count, VerifyReport& rep) {
  const auto& ports = b.ports();
  const std::size_t ns = b.stimulus_ports();
  Readers in = open_ports(dir, ports, 0, ns);
  std::uint64_t vector = 0, mismatches = 0;
  struct TooMany {};  // stops a generator at the first vector past the class (work stays bounded by the files)
  for (const ClassRange& r : ranges) {
    std::uint64_t emitted = 0;
    try {
      b.generate(r.corner, r.corner == Corner::kRandom ? seed : 0, r.corner == Corner::kRandom ? random_count : 0,
                 [&](std::span<const std::uint64_t> stim) {
                   if (++emitted > r.count) throw TooMany{};
                   for (std::size_t i = 0; i < ns; ++i) {
                     std::uint64_t w = 0;
                     if (!in[i]->next(w)) return;  // short files are reported by the word counts
                     if (w == stim[i] || ++mismatches > kMaxShown) continue;
                     rep.problems.push_back(fmt::format(
                         "{}.hex: line {} (vector {}, class {}) holds {}, but the stimulus the manifest describes "
                         "(its parameters, seed {} and class counts) is {}", ports[i].name, vector + 1, vector,
                         to_string(r.corner), word_hex(w, ports[i].width_bits), seed, word_hex(stim[i], ports[i].width_bits)));
                   }
                   ++vector;
                 });
    } catch (const TooMany&) {
    }
    if (emitted != r.count) {
      rep.problems.push_back(fmt::format("manifest.json: class_ranges: class {} holds {} vectors, but the block's "
                                         "generator gives {}{} for these parameters{} (the manifest does not describe "
                                         "the files)", to_string(r.corner), r.count, emitted > r.count ? "more than " : "",
                                         emitted > r.count ? r.count : emitted,
                                         r.corner == Corner::kRandom ? fmt::format(" and random_count {}", random_count) : ""));
      return;  // the files no longer line up with the classes
    }
  }
  if (mismatches > kMaxShown)
    rep.problems.push_back(fmt::format("{} stimulus words differ from what the manifest describes ({} shown)", mismatches, kMaxShown));
}

void replay(const fs::path& dir, const VectorBlock& b, std::uint64_t vectors, VerifyReport& rep) {
  const auto& ports = b.ports();
  const std::size_t ns = b.stimulus_ports(), nr = ports.size() - ns, frame = b.frame();
  Readers readers = open_ports(dir, ports, 0, ports.size());
  std::vector<std::uint64_t> stim(frame * ns), want(frame * nr), got(frame * nr);
  for (;;) {
    bool more = true;
    for (std::size_t t = 0; t < frame && more; ++t) {
      for (std::size_t i = 0; i < ns; ++i) more = readers[i]->next(stim[t * ns + i]) && more;
      for (std::size_t i = 0; i < nr; ++i) more = readers[ns + i]->next(want[t * nr + i]) && more;
    }
    if (!more) break;
    b.respond(stim, got);
    for (std::size_t t = 0; t < frame; ++t, ++rep.vectors) {
      for (std::size_t i = 0; i < nr; ++i) {
        const std::uint64_t g = got[t * nr + i], w = want[t * nr + i];
        if (g == w) continue;
        if (++rep.mismatches <= kMaxShown) {
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
  if (rep.mismatches > kMaxShown)
    rep.problems.push_back(fmt::format("{} mismatching words in all ({} shown)", rep.mismatches, kMaxShown));
  if (rep.vectors != vectors)
    rep.problems.push_back(fmt::format("replayed {} vectors, the manifest says {}", rep.vectors, vectors));
  rep.replayed = true;
}

// One block's directory (format mambahw-vectors), after the file checks.
void check_block(const fs::path& dir, const Field& m, const json& manifest, const ListedFiles& files, VerifyReport& rep) {
  const std::uint64_t vectors = m.at("vectors").count();
  const std::uint64_t seed = m.at("seed").count(UINT64_MAX);
  const std::size_t before = rep.problems.size();  // problems with the counts stop the regeneration and replay
  const std::vector<ClassRange> ranges = class_ranges(m, vectors, rep);
  // Memory images first: only listed (hashed) files are read.
  const Field mems = m.at("memories");
  bool mems_ok = true;
  for (std::size_t i = 0; i < mems.size(64); ++i) {
    const Field e = mems.at(i);
    const Listed* l = listed_as(files, e, e.at("width_bits").small_int(1, 64), rep);
    if (!l) {
      mems_ok = false;
      continue;
    }
    if (e.at("words").count() != l->words_found)
      rep.problems.push_back(fmt::format("manifest.json: {}.words is {}, but {} holds {} words", e.path(),
                                         e.at("words").count(), e.at("file").string(), l->words_found));
  }
  if (!mems_ok) return;
  const auto block = block_of(dir, m);
  const auto& ports = block->ports();
  const Field mports = m.at("ports");
  if (mports.size(64) != ports.size()) {
    rep.problems.push_back(fmt::format("manifest.json: ports lists {} ports, but block {} has {}", mports.size(),
                                       block->name(), ports.size()));
    return;
  }
  // Every port file holds one word per vector: equal word counts.
  bool ports_ok = true;
  for (std::size_t i = 0; i < ports.size(); ++i) {
    const Field p = mports.at(i);
    if (p.at("name").string(64) != ports[i].name || p.at("file").string(1024) != ports[i].name + ".hex") {
      rep.problems.push_back(fmt::format("manifest.json: {} is '{}', but port {} of block {} is {} ({}.hex)", p.path(),
                                         p.at("name").string(64), i, block->name(), ports[i].name, ports[i].name));
      return;
    }
    const Listed* l = listed_as(files, p, ports[i].width_bits, rep);
    if (!l) {
      ports_ok = false;
      continue;
    }
    if (l->words_found != vectors) {
      ports_ok = false;
      rep.problems.push_back(fmt::format("{}.hex: {} words, but the block has {} vectors (every port file of a block "
                                         "holds one word per vector)", ports[i].name, l->words_found, vectors));
    }
  }
  const bool counts_ok = ports_ok && rep.problems.size() == before;
  // The text files, regenerated from the manifest and the block rebuilt from it.
  if (files.count("tb_params.svh")) check_text(dir, "tb_params.svh", tb_params_text(*block), "the manifest's parameters", rep);
  if (files.count("classes.txt")) check_text(dir, "classes.txt", classes_text(m.at("class_ranges").json()), "class_ranges", rep);
  if (files.count("README.md")) check_text(dir, "README.md", readme_text(*block, manifest), "the manifest", rep);
  // With counts that do not describe the files, the readers would not line
  // up and a generator could be asked for more vectors than the files hold.
  if (!counts_ok) return;
  const bool has_scale_list = block->name() != "conv_out_quantizer" && block->name() != "ssm_dequant";
  if (has_scale_list || m.at("parameters").has("int8_scales"))
    check_stimulus(dir, *block, ranges, seed, m.at("random_count").count(), rep);
  else
    rep.warnings.push_back("the stimulus was not regenerated: the manifest has no parameters.int8_scales "
                           "(exported by an earlier mambahw)");
  replay(dir, *block, vectors, rep);
}

// Layer vectors: the config the manifest names is loaded again (when its
// files still have the recorded SHA-256), the layer is exported afresh into a
// temporary directory, and every tensor file must be identical.
void replay_layer(const Field& m, const ListedFiles& files, const ConfigResolver& resolve, VerifyReport& rep) {
  const Field tensors = m.at("tensors");
  std::uint64_t words = 0;
  for (std::size_t i = 0, n = tensors.size(4096); i < n; ++i) {
    const Field t = tensors.at(i);
    const Listed* l = listed_as(files, t, t.at("width_bits").small_int(1, 64), rep);
    if (l && t.at("words").count() != l->words_found)
      rep.problems.push_back(fmt::format("manifest.json: {}.words is {}, but {} holds {} words", t.path(),
                                         t.at("words").count(), t.at("file").string(), l->words_found));
    words += t.at("words").count();
  }
  if (!rep.problems.empty()) return;
  const Field cfg = m.at("config");
  const std::string given = cfg.at("path").string();
  const fs::path path = resolve ? resolve(given) : fs::path(given);
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) {  // (a FIFO or device is never opened)
    rep.warnings.push_back("config " + path.string() + " not found from here: the tensors were not recomputed");
    return;
  }
  // The recorded hash first: a file the manifest names is loaded only if it
  // is the config the vectors came from.
  if (sha256_file(path) != cfg.at("sha256").string()) {
    rep.warnings.push_back("config " + path.string() + " changed since the export: the tensors were not recomputed");
    return;
  }
  const Config c = load_config(path);
  LayerExportOptions o;
  o.out = fs::temp_directory_path() / fmt::format("mambahw_layer_replay_{}", ::getpid());
  o.force = true;
  o.layer = m.at("layer").small_int(0, 1 << 16);
  o.seq_len = m.at("tokens").small_int(1, 1 << 24);
  o.config_embed = cfg.json();
  fs::remove_all(o.out, ec);
  export_layer(c, o);
  const json fresh = read_json_file(o.out / "manifest.json");
  std::map<std::string, std::string> sha;
  for (const auto& f : fresh.at("files")) sha[f.at("name")] = f.at("sha256");
  for (const auto& [name, l] : files) {
    if (name == "README.md") continue;
    if (sha[name] != l.sha256)
      rep.problems.push_back(name + ": the golden model, run again on the same config, gives different words");
  }
  for (const auto& [name, s] : sha)
    if (!files.count(name)) rep.problems.push_back(name + ": missing (the golden model, run again, writes it)");
  rep.mismatches = rep.problems.size();
  rep.vectors = words;
  rep.replayed = true;
  fs::remove_all(o.out, ec);
}

// The header every manifest shares: format, version, producer.
std::string check_header(const Field& m, VerifyReport& rep) {
  const Field ff = m.at("format");
  const std::string format = ff.string(64);
  if (format != kFormat && format != kLayerFormat && format != kSetFormat)
    ff.fail(fmt::format("is '{}', not one of {}, {}, {} (not a mambahw vector directory?)", format, kFormat,
                        kLayerFormat, kSetFormat));
  if (m.at("format_version").integer(0, 1 << 20) != kFormatVersion)
    m.at("format_version").fail(fmt::format("is {}, this mambahw reads version {}", m.at("format_version").integer(0, 1 << 20),
                                            kFormatVersion));
  const std::string commit = m.at("git_commit").string(64);
  rep.producer = "mambahw " + m.at("version").string(64) + " (git " + commit + ")";
  if (commit.ends_with("-dirty"))
    rep.warnings.push_back("exported by a binary built from uncommitted source (git " + commit +
                           "): the commit alone does not reproduce these vectors");
  return format;
}

VerifyReport verify_one(const fs::path& dir, const ConfigResolver& resolve, int depth);

// A vector set: every block directory it lists, with the manifest hash it
// records, and nothing else.
void verify_set(const fs::path& dir, const Field& m, const ConfigResolver& resolve, int depth, VerifyReport& rep) {
  std::set<std::string> names;
  const Field blocks = m.at("blocks");
  for (std::size_t i = 0, n = blocks.size(64); i < n; ++i) {
    const Field b = blocks.at(i);
    const Field df = b.at("directory");
    const std::string d = df.string(255);
    if (const std::string why = plain_file_name_problem(d); !why.empty()) df.fail("'" + d + "' is " + why);
    if (!names.insert(d).second) df.fail("'" + d + "' is listed twice");
    const std::string want = b.at("manifest_sha256").string(64);
    std::error_code ec;
    const fs::file_status st = fs::symlink_status(dir / d, ec);
    if (!fs::is_directory(st)) {
      rep.problems.push_back(d + "/: " + (st.type() == fs::file_type::not_found
                                              ? std::string("missing (the set's manifest lists block ") + b.at("block").string(64) + ")"
                                              : std::string("not a directory")));
      continue;
    }
    VerifyReport sub = verify_one(dir / d, resolve, depth + 1);
    if (sub.problems.empty()) {
      const std::string have = sha256_file(dir / d / "manifest.json");
      if (have != want)
        sub.problems.push_back(fmt::format("manifest.json: SHA-256 {} does not match the set's record {} (the block "
                                           "was replaced or re-exported after the set)", have, want));
    }
    rep.blocks.push_back(std::move(sub));
  }
  const Field skipped = m.at("skipped");
  for (std::size_t i = 0, n = skipped.size(64); i < n; ++i) (void)skipped.at(i).at("block").string(64);
  std::error_code ec;
  fs::directory_iterator it(dir, ec);
  if (ec) rep.problems.push_back(dir.string() + ": cannot list the directory (" + ec.message() + ")");
  for (; !ec && it != fs::directory_iterator(); it.increment(ec)) {
    const std::string n = it->path().filename().string();
    if (n == "manifest.json" || names.count(n)) continue;
    rep.problems.push_back(n + (it->path().extension() == ".tmp" ? ": leftover temporary file (interrupted export?)"
                                                                 : ": not listed in the set's manifest (extra)"));
  }
}

VerifyReport verify_one(const fs::path& dir, const ConfigResolver& resolve, int depth) {
  VerifyReport rep;
  rep.dir = dir.string();
  try {
    std::error_code ec;
    const fs::file_status st = fs::status(dir, ec);
    if (st.type() == fs::file_type::not_found) {
      rep.problems.push_back(dir.string() + ": no such directory");
      return rep;
    }
    if (ec) {
      rep.problems.push_back(dir.string() + ": cannot be read (" + ec.message() + ")");
      return rep;
    }
    if (!fs::is_directory(st)) {
      rep.problems.push_back(dir.string() + ": not a directory");
      return rep;
    }
    const fs::path mp = dir / "manifest.json";
    if (plain_file_problem(mp) == "missing") {
      bool has_blocks = false;
      for (fs::directory_iterator it(dir, ec); !ec && it != fs::directory_iterator(); it.increment(ec))
        has_blocks = has_blocks || fs::exists(it->path() / "manifest.json", ec);
      rep.problems.push_back(has_blocks ? "manifest.json: missing, though block directories are here (`export --block "
                                          "all` writes the set's manifest last: incomplete or interrupted export?)"
                                        : "manifest.json: missing (an export writes it last: incomplete or "
                                          "interrupted export?)");
      return rep;
    }
    const json manifest = read_json_file(mp);
    const Field m(manifest, "");
    m.require_object();
    const std::string format = check_header(m, rep);
    if (format == kSetFormat) {
      if (depth > 0) m.at("format").fail("a vector set inside a vector set");
      verify_set(dir, m, resolve, depth, rep);
      return rep;
    }
    ListedFiles files = listed_files(m);
    if (!check_files(dir, files, rep)) return rep;
    if (format == kLayerFormat) replay_layer(m, files, resolve, rep);
    else check_block(dir, m, manifest, files, rep);
  } catch (const ManifestError& e) {
    rep.problems.push_back(e.what());
  } catch (const ConfigError& e) {
    rep.problems.push_back(std::string("config: ") + e.what());
  } catch (const std::exception& e) {
    rep.problems.push_back(std::string("verification stopped: ") + e.what());
  }
  return rep;
}

}  // namespace

std::unique_ptr<VectorBlock> load_block(const fs::path& dir) {
  const json manifest = read_json_file(dir / "manifest.json");
  const Field m(manifest, "");
  if (m.at("format").string(64) != kFormat) m.at("format").fail("is not " + std::string(kFormat));
  return block_of(dir, m);
}

VerifyReport verify_directory(const fs::path& dir, const ConfigResolver& resolve_config) {
  return verify_one(dir, resolve_config, 0);
}

}  // namespace mambahw::verif
