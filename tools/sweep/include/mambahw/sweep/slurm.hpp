// Running a sweep as a Slurm job array: one array task per shard of points,
// each task the same `mambahw sweep SPEC --shard K/S` a user could run by
// hand, writing its points' files into the shared results directory. The
// submitter waits for the job (sbatch --wait) and merges the files as a
// local run does.
#pragma once

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "mambahw/sweep/runner.hpp"

namespace mambahw::sweep {

struct SlurmJob {
  std::string name;
  std::filesystem::path dir;          // the job script and the tasks' logs (task-K.log)
  int shards = 1;
  std::vector<std::string> command;   // a task runs: command --shard K/S
  std::string sbatch = "sbatch";
  std::vector<std::string> sbatch_args;
};

// The job script (sh, #SBATCH lines).
std::string job_script(const SlurmJob& job);
// Writes DIR/sweep.sbatch, submits it with sbatch --wait and returns when the
// job has finished; `poll` runs every 200 ms meanwhile. Throws when sbatch
// cannot submit (its output in the message). A task that failed leaves its
// points without files, which the merge reports.
RunStats run_slurm(const SlurmJob& job, const std::function<void()>& poll);

}  // namespace mambahw::sweep
