#include "mambahw/sweep/slurm.hpp"

#include <chrono>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include <sys/stat.h>

#include <fmt/core.h>

#include "mambahw/verif/hex_file.hpp"

namespace mambahw::sweep {

namespace fs = std::filesystem;

namespace {
std::string quoted(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}
std::string read_all(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}
}  // namespace

std::string job_script(const SlurmJob& job) {
  std::string cmd;
  for (const std::string& a : job.command) cmd += quoted(a) + " ";
  return fmt::format(
      "#!/bin/sh\n"
      "# Written by mambahw sweep --slurm: array task K runs shard K of {1} of the sweep's points and\n"
      "# writes each point's result file into the shared results directory; the submitter merges them.\n"
      "#SBATCH --job-name={0}\n"
      "#SBATCH --array=0-{2}\n"
      "#SBATCH --ntasks=1\n"
      "#SBATCH --cpus-per-task=1\n"
      "#SBATCH --output={3}/task-%a.log\n"
      "exec {4}--jobs 1 --shard \"$SLURM_ARRAY_TASK_ID/{1}\"\n",
      job.name, job.shards, job.shards - 1, job.dir.string(), cmd);
}

RunStats run_slurm(const SlurmJob& job, const std::function<void()>& poll) {
  fs::create_directories(job.dir);
  const fs::path script = job.dir / "sweep.sbatch";
  verif::write_text_file(job.dir, "sweep.sbatch", job_script(job));
  ::chmod(script.c_str(), 0755);
  std::vector<std::string> argv{job.sbatch, "--wait", "--parsable"};
  argv.insert(argv.end(), job.sbatch_args.begin(), job.sbatch_args.end());
  argv.push_back(script.string());
  const fs::path log = job.dir / "sbatch.log";
  fs::remove(log);
  const auto t0 = std::chrono::steady_clock::now();
  // sbatch is looked up on PATH by the shell's rules: spawn a shell for it.
  std::string line;
  for (const std::string& a : argv) line += quoted(a) + " ";
  const int rc = run_and_wait({"/bin/sh", "-c", "exec " + line}, log, poll);
  const std::string out = read_all(log);
  RunStats st;
  st.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  // --parsable prints the job id first; without one nothing was submitted.
  const bool submitted = !out.empty() && std::isdigit(static_cast<unsigned char>(out[0]));
  if (!submitted) throw std::runtime_error(fmt::format("{} could not submit {} (exit {}): {}", job.sbatch, script.string(), rc, out));
  if (rc != 0)
    std::fprintf(stderr, "mambahw sweep: warning: Slurm job %s ended with status %d (task logs in %s)\n",
                 out.substr(0, out.find_first_of(";\n")).c_str(), rc, job.dir.c_str());
  st.failed = rc != 0;
  return st;
}

}  // namespace mambahw::sweep
