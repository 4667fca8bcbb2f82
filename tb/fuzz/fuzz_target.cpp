#include "fuzz_target.hpp"

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <stdexcept>
#include <typeinfo>

#include <unistd.h>

namespace mambahw::fuzz {

namespace fs = std::filesystem;

Scratch::Scratch(const std::string& target) {
  std::string t = (fs::temp_directory_path() / ("mambahw_fuzz_" + target + "_XXXXXX")).string();
  if (!::mkdtemp(t.data())) throw std::runtime_error("mkdtemp failed for " + t);
  dir_ = t;
}

Scratch::~Scratch() {
  std::error_code ec;
  fs::remove_all(dir_, ec);
}

void Scratch::clear() const {
  std::error_code ec;
  for (fs::directory_iterator it(dir_, ec); !ec && it != fs::directory_iterator(); it.increment(ec))
    fs::remove_all(it->path(), ec);
}

void Scratch::write(const std::string& name, std::string_view bytes) const {
  std::ofstream out(dir_ / name, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out) throw std::runtime_error("cannot write " + (dir_ / name).string());
}

namespace {
bool good_name(std::string_view n) {
  if (n.empty() || n.size() > 40 || n[0] == '.') return false;
  for (const char c : n)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.' ||
          c == '-'))
      return false;
  return true;
}
}  // namespace

std::vector<NamedFile> split_files(std::string_view in, const std::string& first_name) {
  std::vector<NamedFile> out{{first_name, {}}};
  std::size_t pos = 0;
  while (pos <= in.size()) {
    std::size_t eol = in.find('\n', pos);
    const bool last = eol == std::string_view::npos;
    if (last) eol = in.size();
    const std::string_view line = in.substr(pos, eol - pos);
    if (line.starts_with("#@ ") && good_name(line.substr(3))) {
      out.push_back({std::string(line.substr(3)), {}});
    } else {
      out.back().bytes.append(line);
      if (!last) out.back().bytes.push_back('\n');
    }
    if (last) break;
    pos = eol + 1;
  }
  return out;
}

std::string join_files(const std::vector<NamedFile>& files) {
  std::string s;
  for (std::size_t i = 0; i < files.size(); ++i) {
    if (i > 0) {
      if (!s.empty() && s.back() != '\n') s.push_back('\n');  // the marker starts a line
      s += "#@ " + files[i].name + "\n";
    }
    s += files[i].bytes;
  }
  return s;
}

void finding(const char* target, const std::string& what) {
  std::fprintf(stderr, "\nFUZZ FINDING in %s: %s\n", target, what.c_str());
  std::fflush(stderr);
  std::abort();
}

void unexpected(const char* target, const std::exception& e) {
  finding(target, std::string("unexpected exception ") + typeid(e).name() + ": " + e.what());
}

}  // namespace mambahw::fuzz
