#include "byte_source.hpp"

#include <cerrno>
#include <cstring>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace mambahw::tensors::detail {

FileSource::FileSource(const std::filesystem::path& file) : ByteSource(file.string()) {
  fd_ = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd_ < 0) fail(std::string("cannot open: ") + std::strerror(errno));
  struct stat st {};
  if (::fstat(fd_, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd_);
    fd_ = -1;
    fail("not a regular file");
  }
  size_ = static_cast<std::uint64_t>(st.st_size);
}

FileSource::~FileSource() {
  if (fd_ >= 0) ::close(fd_);
}

void FileSource::read(std::uint64_t offset, std::span<std::byte> out) const {
  std::size_t done = 0;
  while (done < out.size()) {
    const ssize_t n = ::pread(fd_, out.data() + done, out.size() - done, static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) fail(std::string("read error: ") + std::strerror(errno));
    if (n == 0) fail("file shrank while being read");
    done += static_cast<std::size_t>(n);
  }
}

void MemorySource::read(std::uint64_t offset, std::span<std::byte> out) const {
  if (offset > image_.size() || out.size() > image_.size() - offset) fail("read past the end");
  if (!out.empty()) std::memcpy(out.data(), image_.data() + offset, out.size());
}

}  // namespace mambahw::tensors::detail
