#include "mambahw/sweep/runner.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <deque>
#include <fstream>
#include <map>
#include <stdexcept>
#include <thread>
#include <utility>

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/core.h>

#include "mambahw/verif/hex_file.hpp"

extern char** environ;

namespace mambahw::sweep {

namespace fs = std::filesystem;
using nlohmann::json;

fs::path point_file(const fs::path& results, const std::string& hash) { return results / "points" / (hash + ".json"); }

std::optional<json> cached_point(const fs::path& file, const std::string& hash, std::string* warning) {
  std::error_code ec;
  if (!fs::exists(file, ec)) return std::nullopt;
  std::ifstream in(file);
  json j;
  try {
    j = json::parse(in);
  } catch (const json::exception& e) {
    if (warning) *warning = fmt::format("{}: not a point result ({}); computing the point again", file.string(), e.what());
    return std::nullopt;
  }
  if (!j.is_object() || j.value("format", "") != kPointFormat || j.value("hash", "") != hash) {
    if (warning) *warning = fmt::format("{}: not this point's result (format or hash differs); computing it again", file.string());
    return std::nullopt;
  }
  if (j.value("status", "") != "ok") return std::nullopt;  // a failed point is tried again
  return j;
}

void write_point(const fs::path& file, const json& j) {
  fs::create_directories(file.parent_path());
  verif::write_text_file(file.parent_path(), file.filename().string(), j.dump(1) + "\n");
}

// ---- progress ------------------------------------------------------------------

Progress::Progress(int total, int cached, std::FILE* out, std::string unit)
    : total_(total), cached_(cached), unit_(std::move(unit)), tty_(::isatty(::fileno(out)) != 0), out_(out),
      start_(std::chrono::steady_clock::now()) {}

void Progress::update(int done, int failed) {
  done_ = done;
  failed_ = failed;
  draw(false);
}

void Progress::finish() {
  draw(true);
  if (tty_) std::fputc('\n', out_);
  std::fflush(out_);
}

void Progress::draw(bool final) {
  const int todo = total_ - cached_;
  const int step = std::max(1, todo / 10);
  if (!tty_ && done_ / step == last_line_ && (!final || last_final_)) return;
  last_final_ = final;
  if (!tty_) last_line_ = done_ / step;
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  const double rate = s > 0 ? done_ / s : 0;
  const int left = todo - done_;
  std::string eta = "-";
  if (rate > 0) {
    const auto e = static_cast<long>(left / rate + 0.5);
    eta = fmt::format("{}:{:02}:{:02}", e / 3600, (e / 60) % 60, e % 60);
  }
  constexpr int kWidth = 30;
  const int filled = todo ? kWidth * done_ / todo : kWidth;
  const std::string bar = std::string(static_cast<std::size_t>(filled), '#') + std::string(static_cast<std::size_t>(kWidth - filled), '.');
  fmt::print(out_, "{}[{}] {}/{} {}{}  {:.3g} {}/s  ETA {}{}{}", tty_ ? "\r" : "", bar, done_ + cached_, total_, unit_,
             cached_ ? fmt::format(" ({} cached)", cached_) : "", rate, unit_, eta,
             failed_ ? fmt::format("  {} failed", failed_) : "", tty_ ? "\x1b[K" : "\n");
  std::fflush(out_);
}

// ---- processes -----------------------------------------------------------------

std::string self_exe() {
  std::error_code ec;
  const fs::path p = fs::read_symlink("/proc/self/exe", ec);
  if (ec) throw std::runtime_error("cannot find this executable (/proc/self/exe: " + ec.message() + ")");
  return p.string();
}

namespace {

struct Child {
  pid_t pid = -1;
  int fd = -1;              // read end of the worker's report pipe
  std::string buffer;
  std::vector<int> points;  // not yet reported
  fs::path log;
};

// A descriptor at 10 or above, close-on-exec: the dup2 onto 3 in the child
// then clears close-on-exec on fd 3 only.
int high_fd(int fd) {
  const int h = ::fcntl(fd, F_DUPFD_CLOEXEC, 10);
  ::close(fd);
  if (h < 0) throw std::runtime_error(std::string("fcntl: ") + std::strerror(errno));
  return h;
}

pid_t spawn(const std::vector<std::string>& argv, const fs::path& log, int report_fd) {
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 1, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  posix_spawn_file_actions_adddup2(&fa, 1, 2);
  if (report_fd >= 0) posix_spawn_file_actions_adddup2(&fa, report_fd, 3);
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = -1;
  const int rc = ::posix_spawn(&pid, args[0], &fa, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) throw std::runtime_error(fmt::format("cannot start {}: {}", argv[0], std::strerror(rc)));
  return pid;
}

int exit_status(int status) { return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status); }

std::string status_text(int status) {
  if (WIFEXITED(status)) return fmt::format("exited with status {}", WEXITSTATUS(status));
  return fmt::format("was killed by signal {} ({})", WTERMSIG(status), strsignal(WTERMSIG(status)));
}

}  // namespace

int run_and_wait(const std::vector<std::string>& argv, const fs::path& log, const std::function<void()>& poll) {
  const pid_t pid = spawn(argv, log, -1);
  int status = 0;
  for (;;) {
    const pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid) break;
    if (r < 0 && errno != EINTR) throw std::runtime_error(std::string("waitpid: ") + std::strerror(errno));
    if (poll) poll();
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  if (poll) poll();
  return exit_status(status);
}

RunStats run_local(const std::vector<int>& todo, int jobs, int chunk, const WorkerCommand& cmd, const fs::path& log_dir,
                   const RecordFailure& record, Progress& progress) {
  fs::create_directories(log_dir);
  const auto start = std::chrono::steady_clock::now();
  std::deque<std::vector<int>> queue;
  for (std::size_t i = 0; i < todo.size(); i += static_cast<std::size_t>(chunk))
    queue.emplace_back(todo.begin() + static_cast<std::ptrdiff_t>(i),
                       todo.begin() + static_cast<std::ptrdiff_t>(std::min(todo.size(), i + static_cast<std::size_t>(chunk))));
  std::vector<Child> running;
  RunStats st;
  int next_log = 0;
  progress.update(0, 0);
  while (!queue.empty() || !running.empty()) {
    while (!queue.empty() && static_cast<int>(running.size()) < jobs) {
      Child c;
      c.points = std::move(queue.front());
      queue.pop_front();
      int p[2];
      if (::pipe(p) != 0) throw std::runtime_error(std::string("pipe: ") + std::strerror(errno));
      const int rd = high_fd(p[0]), wr = high_fd(p[1]);
      c.log = log_dir / fmt::format("worker-{}.log", next_log++ % std::max(jobs, 1));
      c.pid = spawn(cmd(c.points), c.log, wr);
      ::close(wr);
      c.fd = rd;
      running.push_back(std::move(c));
    }
    std::vector<pollfd> fds;
    for (const Child& c : running) fds.push_back({c.fd, POLLIN, 0});
    if (::poll(fds.data(), fds.size(), 1000) < 0 && errno != EINTR)
      throw std::runtime_error(std::string("poll: ") + std::strerror(errno));
    for (std::size_t i = 0; i < running.size();) {
      Child& c = running[i];
      bool closed = false;
      if (fds[i].revents) {
        char buf[4096];
        const ssize_t n = ::read(c.fd, buf, sizeof buf);
        if (n > 0) c.buffer.append(buf, static_cast<std::size_t>(n));
        else if (n == 0 || errno != EINTR) closed = true;
      }
      // Each complete line reports one point: "ok I" or "error I".
      for (std::size_t nl; (nl = c.buffer.find('\n')) != std::string::npos; c.buffer.erase(0, nl + 1)) {
        const std::string line = c.buffer.substr(0, nl);
        const std::size_t sp = line.find(' ');
        if (sp == std::string::npos) continue;
        const int point = std::atoi(line.c_str() + sp + 1);
        const auto it = std::find(c.points.begin(), c.points.end(), point);
        if (it == c.points.end()) continue;
        c.points.erase(it);
        (line.compare(0, sp, "ok") == 0 ? st.ok : st.failed)++;
      }
      if (!closed) {
        ++i;
        continue;
      }
      ::close(c.fd);
      int status = 0;
      while (::waitpid(c.pid, &status, 0) < 0 && errno == EINTR) {}
      if (!c.points.empty()) {
        // Died (or exited) before reporting these: the first was running.
        record(c.points.front(), fmt::format("the worker {} while evaluating this point (log {})", status_text(status),
                                             c.log.string()));
        ++st.failed;
        for (std::size_t k = 1; k < c.points.size(); ++k) queue.push_back({c.points[k]});
      }
      running.erase(running.begin() + static_cast<std::ptrdiff_t>(i));
      fds.erase(fds.begin() + static_cast<std::ptrdiff_t>(i));
    }
    progress.update(st.ok + st.failed, st.failed);
  }
  st.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return st;
}

}  // namespace mambahw::sweep
