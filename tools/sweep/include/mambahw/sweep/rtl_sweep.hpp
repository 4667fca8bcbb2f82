// The exhaustive RTL sweep as a sweep kind (`kind: rtl_exhaustive`,
// docs/sweep.md): the input space (all 2^32 FP32 bit patterns, or a strided
// subset) x the scale registers x the rounding modes, cut into shards that
// the sweep's scheduler runs as it runs design points (local workers or a
// Slurm job array). Each shard's result is one file in DIR/shards/, written
// atomically; the merge reads every file there and checks that, for each
// (scale, rounding), the shards tile the input space exactly once: a gap (a
// shard that never ran or failed) or an overlap (two files covering the same
// inputs) is an error.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "mambahw/golden/numerics.hpp"
#include "mambahw/sweep/rtl_check.hpp"

namespace mambahw::sweep {

inline constexpr const char* kRtlExhaustiveKind = "rtl_exhaustive";
inline constexpr const char* kRtlShardFormat = "mambahw-rtl-shard 1";

// The `kind` a spec file declares: "design" (the default) or "rtl_exhaustive".
std::string spec_kind(const std::filesystem::path& file);

struct RtlSweepSpec {
  std::string file, name, description;
  std::string unit = "conv_out_quantizer";
  std::vector<float> scales;
  std::vector<Rounding> roundings;
  InputSet inputs;
  std::uint64_t shard_inputs = std::uint64_t{1} << 28;
  RtlFault fault;
};

// One (scale, rounding): its inputs must be covered exactly once.
struct RtlCheck {
  float scale = 1;
  Rounding rounding = Rounding::kHalfAwayFromZero;
  std::string id;  // SHA-256 of everything the result depends on (the commit, unit, scale, rounding, inputs, fault)
};

struct RtlShard {
  int index = 0;
  int check = 0;                    // into rtl_checks()
  std::uint64_t begin = 0, end = 0; // input indices [begin, end)
};

RtlSweepSpec load_rtl_spec(const std::filesystem::path& file);
// Scales outermost, then roundings, in the spec's order.
std::vector<RtlCheck> rtl_checks(const RtlSweepSpec& spec);
// Each check's inputs in runs of shard_inputs (the last one shorter).
std::vector<RtlShard> rtl_shards(const RtlSweepSpec& spec, const std::vector<RtlCheck>& checks);

// DIR/shards/<check id, 16 hex>-<begin>-<end>.json
std::filesystem::path rtl_shard_file(const std::filesystem::path& results, const RtlCheck& c, const RtlShard& s);
// Whether the shard's file holds a finished result for exactly this shard.
bool rtl_shard_done(const std::filesystem::path& file, const RtlCheck& c, const RtlShard& s);
// The file's contents for a shard: run (status ok, with its counts, first
// mismatches and times) or failed (status error and the message).
nlohmann::json rtl_shard_header(const RtlSweepSpec& spec, const RtlCheck& c, const RtlShard& s);
nlohmann::json run_rtl_shard(const RtlSweepSpec& spec, const RtlCheck& c, const RtlShard& s);

struct RtlMerge {
  nlohmann::json report;              // results.json
  bool complete = false;              // every check covered exactly once
  std::uint64_t mismatches = 0;
  std::vector<std::string> problems;  // gaps, overlaps, failed shards, unreadable files
};
// Reads every file in DIR/shards/ (not only the ones this spec names).
RtlMerge merge_rtl(const RtlSweepSpec& spec, const std::vector<RtlCheck>& checks, const std::filesystem::path& results);

// The rtl_replay command that writes a waveform of one quantizer transaction.
std::string rtl_replay_command(Rounding r, std::uint32_t x, float scale);

}  // namespace mambahw::sweep
