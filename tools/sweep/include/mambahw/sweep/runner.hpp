// Running sweep points: the result files (one JSON file per point, named by
// the point's config hash, written atomically), the local scheduler (N worker
// processes, a progress bar) and the Slurm job array. A Slurm task runs the
// local scheduler on its shard, so both paths evaluate a point the same way.
#pragma once

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace mambahw::sweep {

inline constexpr const char* kPointFormat = "mambahw-sweep-point 1";

// DIR/points/<hash>.json
std::filesystem::path point_file(const std::filesystem::path& results, const std::string& hash);
// A finished point's file, if it holds a result for `hash` with status ok;
// a file that does not parse or names another hash is reported in `warning`
// (and recomputed).
std::optional<nlohmann::json> cached_point(const std::filesystem::path& file, const std::string& hash,
                                           std::string* warning);
// Writes a point's file atomically (a temporary file renamed into place).
void write_point(const std::filesystem::path& file, const nlohmann::json& j);

// Points done, rate and ETA on one line: redrawn in place on a terminal,
// else printed as a new line every tenth of the sweep (and at the end).
class Progress {
 public:
  // `unit`: what is counted ("points", or the exhaustive sweep's "shards").
  Progress(int total, int cached, std::FILE* out, std::string unit = "points");
  void update(int done, int failed);
  void finish();

 private:
  int total_, cached_, last_line_ = -1;
  std::string unit_;
  bool tty_, last_final_ = false;
  std::FILE* out_;
  std::chrono::steady_clock::time_point start_;
  int done_ = 0, failed_ = 0;
  void draw(bool final);
};

// A worker: this executable with arguments that evaluate `points` and report
// each on file descriptor 3 as a line "ok I" or "error I".
using WorkerCommand = std::function<std::vector<std::string>(const std::vector<int>& points)>;
// Called for a point whose worker died before reporting it (status, log file).
using RecordFailure = std::function<void(int point, const std::string& error)>;

struct RunStats {
  int ok = 0, failed = 0;
  double seconds = 0;
};
// Runs `todo` on at most `jobs` workers at once, `chunk` points per worker
// (1: a fresh process per point, as the SystemC model needs). A worker that
// dies fails the point it was on; the rest of its chunk is run again.
RunStats run_local(const std::vector<int>& todo, int jobs, int chunk, const WorkerCommand& cmd,
                   const std::filesystem::path& log_dir, const RecordFailure& record, Progress& progress);

// Runs `argv` with stdout and stderr to `log`; returns its exit status
// (128 + signal when killed). `poll` is called every 200 ms while it runs.
int run_and_wait(const std::vector<std::string>& argv, const std::filesystem::path& log,
                 const std::function<void()>& poll);

// This executable's path (/proc/self/exe).
std::string self_exe();

}  // namespace mambahw::sweep
