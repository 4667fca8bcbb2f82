// Shared machinery of the verification kit's testbenches (kit_tb_<block>.sv),
// included inside the testbench module after it declares
//   localparam KitBlock = "name", localparam int KitMaxLatency (the contract's bound)
//   logic valid_i, ready_o, valid_o;           the two handshakes (kit_ready is ready_i)
//   localparam int OutW; wire [OutW-1:0] out_bus;   every output data bit
//   `define KIT_IDLE_INPUTS <statement>        drives its data inputs X between transfers
// It provides the clock and reset, the plusarg knobs, the seeded random
// back-pressure (kit_ready) and input gaps (kit_gap()), the vector classes
// (classes.txt of the export), mismatch reporting with a limit, a protocol
// monitor, latency and throughput figures, the summary by class, a watchdog
// and the FST window around the first failures.
//
// Knobs (plusargs): +VECTORS=DIR  +SEED=n (1)  +STALL=pct of cycles with
// ready_i low (30)  +GAP=pct of inputs preceded by 1-4 idle cycles (20)
// +MAX_ERRORS=n mismatches printed in full (10)  +WATCHDOG=n idle cycles
// before a hung DUT fails (10000)  +DUMP_FROM=cycle
// +DUMP_TO=cycle +FST=file: write an FST waveform of that window and stop.
//
// Every random choice comes from two xorshift64 streams seeded from +SEED,
// so a run is reproducible, and identical under Icarus and Verilator.
//
// Stimulus and checking run as procedural loops, each in the process that
// opened its files: Verilator 5.006 reads stale file descriptors in always
// blocks that did not open them.

logic clk = 1'b0, rst_n = 1'b0;
always #5 clk = ~clk;

string dir, fst_file;
integer seed, stall_pct, gap_pct, max_errors, watchdog, dump_from, dump_to;
integer cycle = 0;
always @(posedge clk) cycle <= cycle + 1;

// ---- random streams ------------------------------------------------------------
logic [63:0] rng_ready, rng_gap;
function automatic logic [63:0] xorshift64(input logic [63:0] x);
  logic [63:0] y;
  y = x ^ (x << 13);
  y = y ^ (y >> 7);
  y = y ^ (y << 17);
  return y;
endfunction

initial begin : knobs
  if (!$value$plusargs("VECTORS=%s", dir)) dir = ".";
  if (!$value$plusargs("SEED=%d", seed)) seed = 1;
  if (!$value$plusargs("STALL=%d", stall_pct)) stall_pct = 30;
  if (!$value$plusargs("GAP=%d", gap_pct)) gap_pct = 20;
  if (!$value$plusargs("MAX_ERRORS=%d", max_errors)) max_errors = 10;
  if (!$value$plusargs("WATCHDOG=%d", watchdog)) watchdog = 10000;
  if (!$value$plusargs("DUMP_FROM=%d", dump_from)) dump_from = -1;
  if (!$value$plusargs("DUMP_TO=%d", dump_to)) dump_to = -1;
  if (!$value$plusargs("FST=%s", fst_file)) fst_file = "kit.fst";
  rng_ready = 64'h9e37_79b9_7f4a_7c15 ^ 64'(seed);
  rng_gap = 64'hd1b5_4a32_d192_ed03 ^ (64'(seed) << 1);
  $display("KIT: vectors %s, seed %0d, back-pressure %0d%%, input gaps %0d%%", dir, seed, stall_pct, gap_pct);
end

// Back-pressure: ready_i low on stall_pct of the cycles, plus a rare long
// stall (8-39 cycles) that fills every pipeline stage and buffer.
logic kit_ready = 1'b0;
integer stall_left = 0;
always @(negedge clk) begin
  rng_ready = xorshift64(rng_ready);
  if (stall_left > 0) begin
    stall_left = stall_left - 1;
    kit_ready = 1'b0;
  end else if (stall_pct > 0 && rng_ready[7:0] == 8'h00) begin
    stall_left = 8 + 32'(rng_ready[12:8]);
    kit_ready = 1'b0;
  end else begin
    kit_ready = (rng_ready[63:32] % 100) >= 32'(stall_pct);
  end
end

// Idle cycles before the next input: 0, or 1-4 on gap_pct of the inputs.
function automatic integer kit_gap();
  rng_gap = xorshift64(rng_gap);
  if ((rng_gap[31:0] % 100) < 32'(gap_pct)) return 1 + 32'(rng_gap[33:32]);
  return 0;
endfunction

// ---- vector classes ----------------------------------------------------------------
localparam int KitMaxClasses = 16;
integer n_classes = 0;
integer class_first [KitMaxClasses], class_count [KitMaxClasses];
integer class_checked [KitMaxClasses], class_errors [KitMaxClasses];
logic [8*24-1:0] class_name [KitMaxClasses];

task automatic kit_load_classes();
  integer fd, r, first, count;
  logic [8*24-1:0] name;
  fd = $fopen({dir, "/classes.txt"}, "r");
  r = (fd == 0) ? 0 : $fscanf(fd, "%d %d %s\n", first, count, name);
  while (r == 3 && n_classes < KitMaxClasses) begin
    class_first[n_classes] = first;
    class_count[n_classes] = count;
    class_name[n_classes] = name;
    class_checked[n_classes] = 0;
    class_errors[n_classes] = 0;
    n_classes = n_classes + 1;
    r = $fscanf(fd, "%d %d %s\n", first, count, name);
  end
  if (fd != 0) $fclose(fd);
  if (n_classes == 0) begin  // an export without classes.txt: one class
    n_classes = 1;
    class_first[0] = 0;
    class_count[0] = 32'h7fff_ffff;
    class_name[0] = "all";
    class_checked[0] = 0;
    class_errors[0] = 0;
  end
endtask

// The class name (NUL-padded bytes) as text, left-justified in `width` columns.
function automatic string kit_pad(input logic [8*24-1:0] name, input integer width);
  string s;
  s = "";
  for (int i = 23; i >= 0; i--)
    if (name[8*i +: 8] != 8'h00) s = $sformatf("%0s%c", s, name[8*i +: 8]);
  while (s.len() < width) s = {s, " "};
  return s;
endfunction

function automatic integer kit_class_of(input integer index);
  for (int k = 0; k < n_classes; k++)
    if (index >= class_first[k] && index - class_first[k] < class_count[k]) return k;
  return n_classes - 1;
endfunction

function automatic integer kit_open(input string name);
  integer fd;
  fd = $fopen({dir, "/", name}, "r");
  if (fd == 0) begin
    $display("FAIL: cannot open %s/%s", dir, name);
    $finish;
  end
  return fd;
endfunction

// ---- counters, latency, mismatches ---------------------------------------------------
integer n_in = 0, n_out = 0, errors = 0, violations = 0;
integer first_fail_cycle = -1, last_shown_fail_cycle = -1;
integer lat_min = 32'h7fff_ffff, lat_max = 0, first_in_cycle = -1, last_out_cycle = 0;
integer accept_cycle [1024];
logic inputs_done = 1'b0;

task automatic kit_accepted();
  accept_cycle[n_in % 1024] = cycle;
  if (first_in_cycle < 0) first_in_cycle = cycle;
  n_in = n_in + 1;
endtask

// ---- the steps of the testbenches' driver and monitor loops ---------------------------
task automatic kit_reset();
  `KIT_IDLE_INPUTS;
  repeat (3) @(posedge clk);
  @(negedge clk) rst_n = 1'b1;
endtask

// At the falling edge before the next input: 0-4 cycles with valid_i low
// and the data inputs X.
task automatic kit_before_input();
  integer g;
  g = kit_gap();
  @(negedge clk);
  if (g > 0) begin
    valid_i = 1'b0;
    `KIT_IDLE_INPUTS;
    repeat (g) @(negedge clk);
  end
endtask

// Raises valid_i with the inputs the caller set, and waits for the transfer.
task automatic kit_transfer();
  valid_i = 1'b1;
  @(posedge clk);
  while (ready_o !== 1'b1) @(posedge clk);
  kit_accepted();
endtask

task automatic kit_inputs_done();
  @(negedge clk);
  valid_i = 1'b0;
  `KIT_IDLE_INPUTS;
  inputs_done = 1'b1;
endtask

// Waits for the next output transfer: a rising edge with valid_o and ready_i.
task automatic kit_next_output();
  @(posedge clk);
  while (!(rst_n && valid_o === 1'b1 && kit_ready)) @(posedge clk);
endtask

task automatic kit_beyond_vectors();
  $display("FAIL: an output transfer beyond the %0d vectors (cycle %0d)", n_out, cycle);
  $finish;
endtask

// ---- the golden model over DPI-C (+define+KIT_DPI) --------------------------------------
`ifdef KIT_DPI
import mambahw_dpi_pkg::*;
chandle golden;
integer dpi_checked = 0;
task automatic kit_dpi_open();
  golden = mh_block_open(dir);
  if (golden == null) begin
    $display("FAIL: the golden model over DPI-C cannot read %s: %0s", dir, mh_last_error());
    $finish;
  end
endtask
// The golden model's words must equal the exported ones.
task automatic kit_dpi_agrees(input logic [63:0] golden_words, input logic [63:0] exported_words);
  if (golden_words !== exported_words) begin
    $display("FAIL: vector %0d: the golden model over DPI-C gives %h, the export holds %h", n_out, golden_words,
             exported_words);
    $finish;
  end
  dpi_checked = dpi_checked + 1;
endtask
`endif

// One output transfer checked: latency and the per-class count.
// One output transfer checked: latency and the per-class count; the summary
// after the last one.
task automatic kit_checked(input integer cls);
  integer lat;
  lat = cycle - accept_cycle[n_out % 1024];
  if (lat < lat_min) lat_min = lat;
  if (lat > lat_max) lat_max = lat;
  last_out_cycle = cycle;
  class_checked[cls] = class_checked[cls] + 1;
  n_out = n_out + 1;
  if (inputs_done && n_out == n_in) kit_finish();
endtask

task automatic kit_mismatch(input integer index, input integer cls, input string stim, input string want,
                            input string got, input string fields);
  errors = errors + 1;
  class_errors[cls] = class_errors[cls] + 1;
  if (first_fail_cycle < 0) first_fail_cycle = cycle;
  if (errors <= max_errors) begin
    last_shown_fail_cycle = cycle;
    $display("MISMATCH %0d: vector %0d (line %0d, class %0s, cycle %0d): %0s differ", errors, index, index + 1,
             class_name[cls], cycle, fields);
    $display("  stimulus: %0s", stim);
    $display("  expected: %0s", want);
    $display("  observed: %0s", got);
  end
endtask

// ---- protocol monitor: valid_o held, outputs stable while stalled --------------------
logic kit_stalled = 1'b0;
logic [OutW-1:0] kit_held;
always @(posedge clk) begin
  if (rst_n) begin
    if (valid_o !== 1'b0 && valid_o !== 1'b1) begin
      violations = violations + 1;
      if (violations <= max_errors) $display("PROTOCOL: cycle %0d: valid_o is %b out of reset", cycle, valid_o);
    end else if (kit_stalled && (valid_o !== 1'b1 || out_bus !== kit_held)) begin
      violations = violations + 1;
      if (first_fail_cycle < 0) first_fail_cycle = cycle;
      if (violations <= max_errors) begin
        last_shown_fail_cycle = cycle;
        $display("PROTOCOL: cycle %0d: %0s while ready_i was low (held output %h, now valid_o %b, output %h)",
                 cycle, valid_o !== 1'b1 ? "valid_o dropped" : "output changed", kit_held, valid_o, out_bus);
      end
    end
    kit_stalled = (valid_o === 1'b1) && !kit_ready;
    kit_held = out_bus;
  end
end

// ---- watchdog -------------------------------------------------------------------------
integer kit_idle = 0;
always @(posedge clk) begin
  kit_idle = (valid_o === 1'b1 && kit_ready) || (valid_i && ready_o === 1'b1) ? 0 : kit_idle + 1;
  if (kit_idle > watchdog) begin
    if (inputs_done) begin  // every input was accepted: outputs went missing
      if (first_fail_cycle < 0) first_fail_cycle = cycle;
      $display("MISSING: the DUT accepted %0d inputs and delivered %0d outputs; no transfer for %0d cycles",
               n_in, n_out, kit_idle);
      kit_finish();
    end
    $display("FAIL: no transfer for %0d cycles after %0d inputs accepted and %0d outputs (hung DUT?)",
             kit_idle, n_in, n_out);
    $finish;
  end
  if (inputs_done && n_in == 0) begin
    $display("FAIL: no stimulus vectors read from %s", dir);
    $finish;
  end
end

// ---- waveform window -------------------------------------------------------------------
initial begin : waves
  #2;
  if (dump_from >= 0) begin
    while (cycle < dump_from) @(posedge clk);
    $dumpfile(fst_file);
    $dumpvars;
    $display("KIT: waveform %0s, cycles %0d to %0d", fst_file, dump_from, dump_to);
    while (cycle < dump_to) @(posedge clk);
    $dumpflush;
    $display("KIT: waveform written");
    $finish;
  end
end

// ---- summary ---------------------------------------------------------------------------
task automatic kit_finish();
  integer cycles;
  cycles = last_out_cycle - first_in_cycle + 1;
  $display("KIT SUMMARY %0s: %0d vectors in %0d cycles (%0d.%02d cycles/vector with back-pressure), latency %0d..%0d cycles (contract bound %0d)",
           KitBlock, n_out, cycles, cycles / (n_out > 0 ? n_out : 1), (cycles * 100 / (n_out > 0 ? n_out : 1)) % 100,
           lat_min, lat_max, KitMaxLatency);
  $display("  class              vectors  mismatches");
  for (int k = 0; k < n_classes; k++)
    $display("  %0s %9d  %10d", kit_pad(class_name[k], 16), class_checked[k], class_errors[k]);
  if (errors > max_errors) $display("  (%0d mismatches, the first %0d shown)", errors, max_errors);
  $display("  protocol violations: %0d", violations);
  if (first_fail_cycle >= 0) $display("KIT FIRST FAILURE cycle %0d, last shown cycle %0d", first_fail_cycle,
                                      last_shown_fail_cycle);
`ifdef KIT_DPI
  $display("KIT: %0d expected words computed by the golden model over DPI-C, all equal to the export's", dpi_checked);
`endif
  if (errors == 0 && violations == 0 && n_out > 0 && n_out == n_in && lat_min <= KitMaxLatency)
    $display("PASS: %0s, %0d vectors", KitBlock, n_out);
  else if (n_out != n_in)
    $display("FAIL: %0s, %0d outputs for %0d inputs, %0d mismatches, %0d protocol violations", KitBlock, n_out,
             n_in, errors, violations);
  else if (lat_min > KitMaxLatency)
    $display("FAIL: %0s, latency %0d cycles exceeds the contract's %0d", KitBlock, lat_min, KitMaxLatency);
  else
    $display("FAIL: %0s, %0d of %0d vectors mismatch, %0d protocol violations", KitBlock, errors, n_out,
             violations);
  $finish;
endtask
