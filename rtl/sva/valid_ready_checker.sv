// Valid/ready protocol checker (docs/contracts.md §Handshake), bound to both
// streams of every block by mambahw_bind.sv, in the manner of OpenTitan's
// sva/*_bind.sv. A transfer happens in a cycle with valid && ready.
//   - valid and ready are never X/Z out of reset;
//   - data is known whenever valid is high;
//   - once raised, valid stays high until the transfer (no retraction);
//   - data holds its value while valid waits for ready.
// Source = 1: the bound module drives valid/data (its output stream), so
// these are assertions about the block. Source = 0: the environment drives
// them (the block's input stream), so they are assumptions; a simulator
// checks both, which catches a testbench that breaks the protocol.
`include "mambahw_assert.svh"

module valid_ready_checker #(
  parameter int Width  = 1,
  parameter bit Source = 1'b1
) (
  input logic             clk_i,
  input logic             rst_ni,
  input logic             valid_i,
  input logic             ready_i,
  input logic [Width-1:0] data_i
);
  `MH_ASSERT_INIT(WidthLegal_A, Width >= 1)

  if (Source) begin : gen_source
    `MH_ASSERT_KNOWN(ValidKnown_A, valid_i)
    `MH_ASSERT(DataKnown_A, valid_i |-> !$isunknown(data_i))
    `MH_ASSERT(ValidHeldUntilReady_A, valid_i && !ready_i |=> valid_i)
    `MH_ASSERT(DataStableUntilReady_A, valid_i && !ready_i |=> $stable(data_i))
    `MH_ASSUME(ReadyKnown_M, !$isunknown(ready_i))
  end else begin : gen_sink
    `MH_ASSUME(ValidKnown_M, !$isunknown(valid_i))
    `MH_ASSUME(DataKnown_M, valid_i |-> !$isunknown(data_i))
    `MH_ASSUME(ValidHeldUntilReady_M, valid_i && !ready_i |=> valid_i)
    `MH_ASSUME(DataStableUntilReady_M, valid_i && !ready_i |=> $stable(data_i))
    `MH_ASSERT_KNOWN(ReadyKnown_A, ready_i)
  end

  `MH_COVER(Transfer_C, valid_i && ready_i)
  `MH_COVER(Stall_C, valid_i && !ready_i)
endmodule
