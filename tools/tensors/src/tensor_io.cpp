// Format dispatch, folders of .npy files, and atomic writes.
#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <system_error>

#include <fcntl.h>
#include <unistd.h>

#include "byte_source.hpp"
#include "mambahw/tensors/tensor_file.hpp"

namespace mambahw::tensors {

namespace fs = std::filesystem;

std::string tensor_name_problem(const std::string& name) {
  if (name.empty()) return "a tensor name cannot be empty";
  if (name.size() > 200) return "tensor name '" + name.substr(0, 40) + "...' is longer than 200 characters";
  if (name[0] == '.') return "tensor name '" + name + "' starts with '.'";
  for (unsigned char c : name)
    if (c < 0x20 || c == '/' || c == '\\' || c == 0x7F)
      return "tensor name '" + name + "' contains '/', '\\' or a control character";
  return "";
}

void write_file_atomically(const fs::path& file, std::span<const std::byte> bytes) {
  const fs::path dir = file.has_parent_path() ? file.parent_path() : fs::path(".");
  std::string tmp_name = file.filename().string();
  tmp_name.insert(0, 1, '.');
  tmp_name.append(".tmp.").append(std::to_string(::getpid()));
  const fs::path tmp = dir / tmp_name;
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw TensorFileError(file.string() + ": cannot create: " + std::strerror(errno));
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const std::string why = std::strerror(errno);
      ::close(fd);
      ::unlink(tmp.c_str());
      throw TensorFileError(file.string() + ": write failed: " + why);
    }
    done += static_cast<std::size_t>(n);
  }
  if (::close(fd) != 0 || std::rename(tmp.c_str(), file.c_str()) != 0) {
    const std::string why = std::strerror(errno);
    ::unlink(tmp.c_str());
    throw TensorFileError(file.string() + ": cannot write: " + why);
  }
}

TensorMap read_npy_directory(const fs::path& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) throw TensorFileError(dir.string() + ": not a folder");
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(dir, ec))
    if (e.path().extension() == ".npy" && e.path().filename().string()[0] != '.') files.push_back(e.path());
  if (ec) throw TensorFileError(dir.string() + ": " + ec.message());
  std::sort(files.begin(), files.end());
  TensorMap out;
  for (const fs::path& f : files) out.emplace(f.stem().string(), read_npy(f));
  return out;
}

TensorMap read_tensors(const fs::path& path) {
  std::error_code ec;
  if (fs::is_directory(path, ec)) return read_npy_directory(path);
  if (!fs::exists(path, ec)) throw TensorFileError(path.string() + ": no such file or folder");
  const std::string ext = path.extension().string();
  if (ext == ".npy") return {{path.stem().string(), read_npy(path)}};
  if (ext == ".npz") return read_npz(path);
  if (ext == ".safetensors") return read_safetensors(path);
  throw TensorFileError(path.string() + ": unknown tensor file type '" + ext +
                        "' (expected .npy, .npz, .safetensors or a folder of .npy files)");
}

void write_tensors(const fs::path& path, const TensorMap& tensors) {
  const std::string ext = path.extension().string();
  if (ext == ".npz") return write_npz(path, tensors);
  if (ext == ".safetensors") return write_safetensors(path, tensors);
  if (ext == ".npy") {
    if (tensors.size() != 1) throw TensorFileError(path.string() + ": a .npy file holds exactly one tensor");
    return write_npy(path, tensors.begin()->second);
  }
  std::error_code ec;
  fs::create_directories(path, ec);
  if (ec) throw TensorFileError(path.string() + ": cannot create the folder: " + ec.message());
  for (const auto& [name, t] : tensors) {
    if (const std::string why = tensor_name_problem(name); !why.empty()) throw TensorFileError(path.string() + ": " + why);
    write_npy(path / (name + ".npy"), t);
  }
}

}  // namespace mambahw::tensors
