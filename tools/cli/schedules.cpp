#include "schedules.hpp"

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <set>
#include <utility>

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/core.h>
#include <fmt/format.h>

extern char** environ;  // NOLINT: POSIX declares it in no header

namespace mambahw::cli {

using report::Cell;
using report::Column;
using report::Node;
using nlohmann::json;

// ---- the summary as JSON ------------------------------------------------------------

void to_json(json& j, const ScheduleSummary& s) {
  json ops = json::array();
  for (const ScheduleSummary::Op& o : s.ops)
    ops.push_back({{"name", o.name}, {"unit", o.unit}, {"start", o.start}, {"cycles", o.cycles}, {"busy", o.busy},
                   {"stalls", o.stalls}, {"gemm_dram_bytes", o.gemm_dram_bytes}});
  j = {{"schedule", s.schedule}, {"ran", s.ran}, {"error", s.error}, {"mismatches", s.mismatches},
       {"cycles", s.cycles}, {"producer_wait", s.producer_wait}, {"layer0_cycles", s.layer0_cycles},
       {"layers", s.layers}, {"batch", s.batch}, {"seq_len", s.seq_len}, {"latency_ns", s.latency_ns},
       {"energy_pj", s.energy_pj}, {"dram_read", s.dram_read}, {"dram_write", s.dram_write},
       {"host_input_bytes", s.host_input_bytes}, {"on_chip", s.on_chip}, {"ops", ops}, {"steps", s.steps},
       {"decode_cycles", s.decode_cycles}, {"decode_latency_ns", s.decode_latency_ns},
       {"decode_pj_per_token", s.decode_pj_per_token}, {"decode_dram_read", s.decode_dram_read},
       {"decode_dram_write", s.decode_dram_write}};
}

// Every key is required (json::at throws naming it): a summary missing one is
// corrupt, not a run with zeros.
void from_json(const json& j, ScheduleSummary& s) {
  j.at("schedule").get_to(s.schedule);
  j.at("ran").get_to(s.ran);
  j.at("error").get_to(s.error);
  j.at("mismatches").get_to(s.mismatches);
  j.at("cycles").get_to(s.cycles);
  j.at("producer_wait").get_to(s.producer_wait);
  j.at("layer0_cycles").get_to(s.layer0_cycles);
  j.at("layers").get_to(s.layers);
  j.at("batch").get_to(s.batch);
  j.at("seq_len").get_to(s.seq_len);
  j.at("latency_ns").get_to(s.latency_ns);
  j.at("energy_pj").get_to(s.energy_pj);
  j.at("dram_read").get_to(s.dram_read);
  j.at("dram_write").get_to(s.dram_write);
  j.at("host_input_bytes").get_to(s.host_input_bytes);
  j.at("on_chip").get_to(s.on_chip);
  s.ops.clear();
  for (const json& o : j.at("ops")) {
    ScheduleSummary::Op op;
    o.at("name").get_to(op.name);
    o.at("unit").get_to(op.unit);
    o.at("start").get_to(op.start);
    o.at("cycles").get_to(op.cycles);
    o.at("busy").get_to(op.busy);
    o.at("stalls").get_to(op.stalls);
    o.at("gemm_dram_bytes").get_to(op.gemm_dram_bytes);
    s.ops.push_back(std::move(op));
  }
  j.at("steps").get_to(s.steps);
  j.at("decode_cycles").get_to(s.decode_cycles);
  j.at("decode_latency_ns").get_to(s.decode_latency_ns);
  j.at("decode_pj_per_token").get_to(s.decode_pj_per_token);
  j.at("decode_dram_read").get_to(s.decode_dram_read);
  j.at("decode_dram_write").get_to(s.decode_dram_write);
}

// ---- the side-by-side tables --------------------------------------------------------

Node schedules_report(int n_layer, double head_ns_per_step, const ScheduleSummary& configured,
                      const ScheduleSummary& other) {
  Node n = Node::object();
  n.add("configured", Cell{configured.schedule});
  n.add("other", Cell{other.schedule});
  n.add("other_ran", Cell{other.ran});
  n.add("other_error", Cell{other.error});
  const bool serial_first = configured.schedule == "serial";
  const ScheduleSummary& serial = serial_first ? configured : other;
  const ScheduleSummary& pipe = serial_first ? other : configured;
  if (other.ran) {
    report::Table ops;
    ops.columns = {Column{"op", "op", "{}", -22},
                   Column{"serial_start", "serial start", "{}", 12}, Column{"serial_cycles", "cycles", "{}", 10},
                   Column{"pipelined_start", "pipelined start", "{}", 15},
                   Column{"pipelined_cycles", "cycles", "{}", 10}};
    for (std::size_t i = 0; i < serial.ops.size() && i < pipe.ops.size(); ++i)
      ops.add({serial.ops[i].name, serial.ops[i].start, serial.ops[i].cycles, pipe.ops[i].start, pipe.ops[i].cycles});
    n.add("ops", std::move(ops));
  }
  report::Table tot;
  tot.columns = {Column{"schedule", "schedule", "{}", -10},
                 Column{"cycles", "layer cycles", "{}", 12},
                 Column{"dram_mb", "DRAM MB", "{:.3f}", 9},
                 Column{"energy_uj", "uJ/layer", "{:.4g}", 9},
                 Column{"producer_wait", "producer wait", "{}", 13},
                 Column{"decode_cycles_per_token", "decode cyc/token", "{:.0f}", 16},
                 Column{"decode_dram_mb_per_token", "DRAM MB/token", "{:.3f}", 13},
                 Column{"decode_uj_per_token", "uJ/token/layer", "{:.4g}", 14},
                 Column{"tokens_per_s_model", "tok/s (model)", "{:.1f}", 13},
                 Column{"bit_exact", "bit-exact", "{}", 9},
                 Column{"on_chip", "fusion buffer", "{}", -1}};
  for (const ScheduleSummary* s : {&serial, &pipe}) {
    if (!s->ran) continue;  // no numbers for a run that did not happen (other_error says why)
    std::string chip;
    for (const std::string& t : s->on_chip) chip += (chip.empty() ? "" : ",") + t;
    const double steps = s->steps ? s->steps : 1;
    const double step_ns = s->decode_latency_ns / steps * n_layer / std::max(1, s->layers) + head_ns_per_step;
    tot.add({s->schedule, s->cycles, static_cast<double>(s->dram_read + s->dram_write) / 1e6, s->energy_pj / 1e6,
             s->producer_wait, static_cast<double>(s->decode_cycles) / steps,
             static_cast<double>(s->decode_dram_read + s->decode_dram_write) / steps / 1e6,
             s->decode_pj_per_token / 1e6,
             s->steps ? 1e9 * s->batch / step_ns : 0.0, s->mismatches == 0,
             chip.empty() ? std::string("-") : chip});
  }
  n.add("totals", std::move(tot));
  return n;
}

// ---- the accuracy bands -------------------------------------------------------------

namespace {

constexpr std::array<const char*, cost::kNumStalls> kStallLabel{"DRAM stall", "lookup stall", "exp throughput",
                                                               "softplus throughput"};

std::string causes_text(std::vector<std::pair<double, std::string>> c) {
  std::stable_sort(c.begin(), c.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  std::string s;
  for (const auto& [v, what] : c) s += fmt::format("{}{} {:.0f}", s.empty() ? "" : ", ", what, v);
  return s.empty() ? std::string("unexplained") : s;
}

double gap_pct(double model, double bound) { return bound > 0 ? 100.0 * (model / bound - 1.0) : 0.0; }

}  // namespace

// Each op's cycles in the serial schedule against its roofline bound, and
// for a gap over 5% the causes the model counted: its unit's stalls by cause
// and its busy cycles beyond the compute bound (fill and drain); a GEMM
// moving more than every tensor once adds the extra traffic's cycles.
Node serial_band_report(const cost::Roofline& roof, const ScheduleSummary& serial, double bytes_per_cycle) {
  report::Table t;
  t.columns = {Column{"op", "op", "{}", -22},          Column{"model_cycles", "model", "{}", 10},
               Column{"roofline_cycles", "roofline", "{:.0f}", 10}, Column{"bound", "bound", "{}", -7},
               Column{"gap_pct", "gap %", "{:.1f}", 7},  Column{"causes", "causes (cycles)", "{}", -1}};
  for (std::size_t i = 0; i < serial.ops.size() && i < roof.ops.size(); ++i) {
    const ScheduleSummary::Op& op = serial.ops[i];
    const cost::RooflineOp& r = roof.ops[i];
    const double bound = r.cycles();
    const double gap = gap_pct(static_cast<double>(op.cycles), bound);
    std::string causes = "within 5%";
    if (gap > 5.0) {
      std::vector<std::pair<double, std::string>> c;
      const double fill = static_cast<double>(op.busy) - r.compute_cycles;
      if (fill > 0) c.emplace_back(fill, "fill/drain");
      for (std::size_t k = 0; k < cost::kNumStalls; ++k)
        if (op.stalls[k] > 0) c.emplace_back(static_cast<double>(op.stalls[k]), kStallLabel[k]);
      if (static_cast<double>(op.gemm_dram_bytes) > r.bytes && r.memory_cycles >= r.compute_cycles)
        c.emplace_back((static_cast<double>(op.gemm_dram_bytes) - r.bytes) / bytes_per_cycle,
                       fmt::format("of it DRAM traffic beyond once each ({:.3f} vs {:.3f} MB)",
                                   static_cast<double>(op.gemm_dram_bytes) / 1e6, r.bytes / 1e6));
      causes = causes_text(std::move(c));
    }
    t.add({op.name, op.cycles, bound, std::string(r.memory_cycles > r.compute_cycles ? "DRAM" : "compute"), gap,
           causes});
  }
  Node n = Node::object();
  n.add("ops", std::move(t));
  return n;
}

// In the pipelined schedule each unit's sequencer runs the unit's ops back
// to back from the pass's start, so the end of its last op is the unit's
// time: busy + its stalls by cause + the cycles it waited for another unit's
// tiles beyond what the tile's own work hid (the rest: nothing else stops a
// sequencer). The layer ends with the last unit to finish.
Node pipelined_band_report(const LayerProgram& program, const cost::Roofline& roof, const ScheduleSummary& pipe,
                           double bytes_per_cycle) {
  struct UnitTime {
    std::string unit;
    double bound = 0;  // its ops' compute cycles
    std::int64_t busy = 0, end = 0;
    std::array<std::int64_t, cost::kNumStalls> stalls{};
    std::int64_t waited() const {  // end less busy and the stalls: the waits for another unit's tiles
      std::int64_t w = end - busy;
      for (std::int64_t v : stalls) w -= v;
      return w;
    }
    std::vector<std::pair<double, std::string>> parts() const {  // what end - bound is made of
      std::vector<std::pair<double, std::string>> c;
      // Busy under the bound: the bound counts as compute what the unit counts
      // as a stall (the SSM core's exp rate); kept, so the causes add up.
      if (const double fill = static_cast<double>(busy) - bound; fill > 0) c.emplace_back(fill, "fill/drain");
      else if (fill < 0) c.emplace_back(fill, "busy under the bound");
      for (std::size_t k = 0; k < cost::kNumStalls; ++k)
        if (stalls[k] > 0) c.emplace_back(static_cast<double>(stalls[k]), kStallLabel[k]);
      if (waited() > 0) c.emplace_back(static_cast<double>(waited()), "dependency wait");
      if (waited() < 0) c.emplace_back(static_cast<double>(waited()), "stalls overlapping (negative)");
      return c;
    }
  };
  std::vector<UnitTime> units;
  std::int64_t pass_start = 0;
  if (!pipe.ops.empty())
    pass_start = std::min_element(pipe.ops.begin(), pipe.ops.end(), [](const auto& a, const auto& b) {
                   return a.start < b.start;
                 })->start;
  for (std::size_t i = 0; i < pipe.ops.size() && i < roof.ops.size(); ++i) {
    const ScheduleSummary::Op& op = pipe.ops[i];
    auto it = std::find_if(units.begin(), units.end(), [&](const UnitTime& u) { return u.unit == op.unit; });
    if (it == units.end()) it = units.insert(units.end(), UnitTime{op.unit});
    it->bound += roof.ops[i].compute_cycles;
    it->busy += op.busy;
    for (std::size_t k = 0; k < cost::kNumStalls; ++k) it->stalls[k] += op.stalls[k];
    it->end = std::max(it->end, op.start + op.cycles - pass_start);
  }
  // DRAM: every tensor once per op that touches it, but the intermediates the
  // fusion buffer held (no DRAM traffic), against the channel's bytes of one
  // layer's prefill (the units' traffic: the host's input writes left out).
  const std::set<std::string> on_chip(pipe.on_chip.begin(), pipe.on_chip.end());
  const std::int64_t tokens = static_cast<std::int64_t>(pipe.batch) * pipe.seq_len;
  double bound_bytes = 0;
  for (const OpSpec& op : program.ops)
    for (const auto* names : {&op.inputs, &op.outputs, &op.weights})
      for (const std::string& t : *names)
        if (!on_chip.count(t)) bound_bytes += static_cast<double>(program.tensor(t).bytes(tokens));
  const double model_bytes =
      static_cast<double>(pipe.dram_read + pipe.dram_write - pipe.host_input_bytes) / std::max(1, pipe.layers);

  report::Table t;
  t.columns = {Column{"what", "unit", "{}", -15},          Column{"bound_cycles", "bound", "{:.0f}", 10},
               Column{"bound", "bound by", "{}", -24},     Column{"busy", "busy", "{:.0f}", 10},
               Column{"busy_gap_pct", "busy gap %", "{:.1f}", 10}, Column{"dependency_wait", "dep wait", "{}", 9},
               Column{"cycles", "cycles", "{}", 10},
               Column{"gap_pct", "gap %", "{:.1f}", 7},    Column{"causes", "causes (cycles)", "{}", -1}};
  for (const UnitTime& u : units) {
    const double gap = gap_pct(static_cast<double>(u.end), u.bound);
    t.add({u.unit, u.bound, std::string("compute"), static_cast<double>(u.busy),
           gap_pct(static_cast<double>(u.busy), u.bound), u.waited(), u.end, gap,
           gap > 5.0 ? causes_text(u.parts()) : std::string("within 5%")});
  }
  const double dram_bound = bound_bytes / bytes_per_cycle, dram_busy = model_bytes / bytes_per_cycle;
  const double dram_gap = gap_pct(dram_busy, dram_bound);
  t.add({std::string("dram"), dram_bound, std::string("every tensor once"), dram_busy, dram_gap, Cell{}, Cell{},
         dram_gap,
         dram_gap > 5.0 ? fmt::format("traffic beyond every tensor once {:.0f} ({:.3f} vs {:.3f} MB)",
                                      dram_busy - dram_bound, model_bytes / 1e6, bound_bytes / 1e6)
                        : std::string("within 5%")});
  // The layer: against the larger of the units' compute bounds and the DRAM's.
  double bound = dram_bound;
  std::string by = "DRAM";
  for (const UnitTime& u : units)
    if (u.bound > bound) {
      bound = u.bound;
      by = "compute (" + u.unit + ")";
    }
  const auto last =
      std::max_element(units.begin(), units.end(), [](const auto& a, const auto& b) { return a.end < b.end; });
  const double gap = gap_pct(static_cast<double>(pipe.layer0_cycles), bound);
  std::string causes = "within 5%";
  if (gap > 5.0 && last != units.end()) {
    std::vector<std::pair<double, std::string>> c = last->parts();
    c.emplace_back(last->bound, "compute");
    if (pipe.layer0_cycles > last->end)
      c.emplace_back(static_cast<double>(pipe.layer0_cycles - last->end), "after the last unit");
    causes = fmt::format("the last unit to finish, {}: {}", last->unit, causes_text(std::move(c)));
  }
  t.add({std::string("layer"), bound, by, Cell{}, Cell{}, Cell{}, pipe.layer0_cycles, gap, causes});
  Node n = Node::object();
  n.add("units", std::move(t));
  n.add("dram_bound_bytes", Cell{bound_bytes});
  n.add("dram_model_bytes", Cell{model_bytes});
  return n;
}

// ---- the other schedule's process ---------------------------------------------------

namespace {

std::string last_line(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::string line, last;
  while (std::getline(in, line))
    if (line.find_first_not_of(" \t\r") != std::string::npos) last = line;
  return last;
}

}  // namespace

OtherScheduleRun::OtherScheduleRun(std::string schedule, std::vector<std::string> args)
    : schedule_(std::move(schedule)) {
  const char* env = std::getenv("TMPDIR");  // as std::filesystem::temp_directory_path, which says less on failure
  const std::filesystem::path tmp = env && *env ? env : "/tmp";
  std::string templ = (tmp / "mambahw-schedule-XXXXXX").string();
  if (!::mkdtemp(templ.data())) {
    error_ = fmt::format("cannot create a temporary directory in {}: {}", tmp.string(), std::strerror(errno));
    return;
  }
  dir_ = templ;
  const std::string log = (dir_ / "run.log").string();
  args.insert(args.begin(), {"mambahw", "run"});
  for (const char* a : {"--schedule", schedule_.c_str(), "--no-other-schedule", "--schedule-summary"})
    args.emplace_back(a);
  args.push_back((dir_ / "summary.json").string());
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_adddup2(&fa, 1, 2);
  // posix_spawn execs at once in the child (no code of this process runs
  // there), so the OpenMP and SystemC threads of this one do not matter.
  const int rc = ::posix_spawn(&pid_, "/proc/self/exe", &fa, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) {
    pid_ = -1;
    error_ = fmt::format("cannot start /proc/self/exe: {}", std::strerror(rc));
  }
}

OtherScheduleRun::~OtherScheduleRun() {
  if (pid_ > 0) {
    ::kill(pid_, SIGTERM);
    int status = 0;
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
  }
  if (!dir_.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
}

ScheduleSummary OtherScheduleRun::finish() {
  ScheduleSummary s;
  s.schedule = schedule_;
  auto fail = [&](std::string why) {
    s.ran = false;
    s.error = "not run: " + std::move(why);
    return s;
  };
  if (!error_.empty()) return fail(error_);
  if (pid_ <= 0) return fail("already finished");
  int status = 0;
  pid_t r;
  while ((r = ::waitpid(pid_, &status, 0)) < 0 && errno == EINTR) {
  }
  pid_ = -1;
  if (r < 0) return fail(fmt::format("waiting for the {} run failed: {}", schedule_, std::strerror(errno)));
  const std::filesystem::path log = dir_ / "run.log";
  if (WIFSIGNALED(status))
    return fail(fmt::format("the {} run (a process of its own) was killed by signal {} ({}){}", schedule_,
                            WTERMSIG(status), strsignal(WTERMSIG(status)),
                            last_line(log).empty() ? std::string() : "; its last line: " + last_line(log)));
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    return fail(fmt::format("the {} run (a process of its own) exited with status {}: {}", schedule_,
                            WIFEXITED(status) ? WEXITSTATUS(status) : -1,
                            last_line(log).empty() ? std::string("(no output)") : last_line(log)));
  const std::filesystem::path file = dir_ / "summary.json";
  std::ifstream in(file);
  if (!in) return fail(fmt::format("the {} run exited with 0 but wrote no summary ({})", schedule_, file.string()));
  ScheduleSummary got;
  try {
    got = json::parse(in).get<ScheduleSummary>();
  } catch (const std::exception& e) {
    return fail(fmt::format("the {} run's summary {} does not read: {}", schedule_, file.string(), e.what()));
  }
  if (!got.ran || got.schedule != schedule_)
    return fail(fmt::format("the run asked for {} reported {} ({})", schedule_, got.schedule,
                            got.ran ? "ran" : "not ran"));
  return got;
}

}  // namespace mambahw::cli
