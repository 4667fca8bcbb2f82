// Shared by the tb_<block>.sv vector testbenches (included inside the module,
// which declares clk, valid_out, n_in, n_out and inputs_done).
//
// Stimulus and checking run as procedural loops, each in the process that
// opened its files: Verilator 5.006 reads stale file descriptors in always
// blocks that did not open them.

string dir;

function automatic integer open_or_die(string name);
  integer fd;
  fd = $fopen({dir, "/", name}, "r");
  if (fd == 0) begin
    $display("FAIL: cannot open %s/%s", dir, name);
    $finish;
  end
  return fd;
endfunction

// Watchdog: no response for 100000 cycles means a hung DUT; an empty stimulus
// file means a broken export. Either fails instead of hanging.
integer idle = 0;
always @(posedge clk) begin
  idle <= valid_out ? 0 : idle + 1;
  if (idle > 100000) begin
    $display("FAIL: no response for %0d cycles after %0d of %0d vectors", idle, n_out, n_in);
    $finish;
  end
  if (inputs_done && n_in == 0) begin
    $display("FAIL: no stimulus vectors read from %s", dir);
    $finish;
  end
end
