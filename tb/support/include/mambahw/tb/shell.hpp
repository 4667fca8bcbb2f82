// Test-only: runs a shell command and collects what it printed.
#pragma once

#include <array>
#include <cstdio>
#include <string>

#include <sys/wait.h>

namespace mambahw::tb {

struct ShellResult {
  int exit_code;       // -1 if the command did not exit normally
  std::string output;  // what it wrote to stdout (add 2>&1 for stderr)
};

inline ShellResult run_shell(const std::string& cmd) {
  FILE* pipe = popen(cmd.c_str(), "r");
  std::string out;
  std::array<char, 4096> buf;
  while (std::size_t n = std::fread(buf.data(), 1, buf.size(), pipe)) out.append(buf.data(), n);
  const int status = pclose(pipe);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

}  // namespace mambahw::tb
