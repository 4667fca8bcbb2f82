// Assertion macros of the mambahw RTL, in the manner of lowRISC's
// prim_assert.sv (names prefixed MH_ so they never collide with an
// engineer's own prim_assert macros):
//
//   `MH_ASSERT_INIT(Name, prop)          parameter legality: checked once at time 0,
//                                        $fatal when false (every simulator, assertions on or off)
//   `MH_ASSERT_I(Name, expr)             immediate assertion inside procedural code (SVA simulators)
//   `MH_ASSERT(Name, prop, clk, rst_n)   concurrent assertion, disabled in reset
//   `MH_ASSUME(Name, prop, clk, rst_n)   the same, as an assumption about the environment
//   `MH_ASSERT_NEVER(Name, prop, ...)    prop must never hold
//   `MH_ASSERT_KNOWN(Name, sig, ...)     sig has no X/Z bit out of reset
//   `MH_COVER(Name, prop, ...)           coverage point
//
// clk and rst_n default to clk_i / rst_ni (active-low reset). Concurrent
// assertions need a simulator with SVA: they are live under Verilator with
// --assert and expand to nothing under Icarus Verilog 11 (no SVA) and in
// synthesis (SYNTHESIS, which yosys defines). MH_ASSERT_INIT is live in every
// simulator, so an illegal parameter never simulates silently.
`ifndef MAMBAHW_ASSERT_SVH
`define MAMBAHW_ASSERT_SVH

`define MH_ASSERT_MSG(__name) \
  $error("[ASSERT FAILED] [%m] %s (%s:%0d)", `"__name`", `__FILE__, `__LINE__)

`ifdef SYNTHESIS
  `define MH_ASSERT_INIT(__name, __prop)
`else
  `define MH_ASSERT_INIT(__name, __prop) \
    initial begin : __name \
      if (!(__prop)) $fatal(1, "[ASSERT FAILED] [%m] illegal parameters: %s", `"__prop`"); \
    end
`endif

`ifdef MH_NO_SVA
  `define MH_SVA_OFF
`elsif SYNTHESIS
  `define MH_SVA_OFF
`elsif __ICARUS__
  `define MH_SVA_OFF
`endif

`ifdef MH_SVA_OFF
  `define MH_ASSERT_I(__name, __expr)
  `define MH_ASSERT(__name, __prop, __clk = clk_i, __rst_n = rst_ni)
  `define MH_ASSUME(__name, __prop, __clk = clk_i, __rst_n = rst_ni)
  `define MH_ASSERT_NEVER(__name, __prop, __clk = clk_i, __rst_n = rst_ni)
  `define MH_ASSERT_KNOWN(__name, __sig, __clk = clk_i, __rst_n = rst_ni)
  `define MH_COVER(__name, __prop, __clk = clk_i, __rst_n = rst_ni)
`else
  `define MH_ASSERT_I(__name, __expr) \
    __name: assert (__expr) else `MH_ASSERT_MSG(__name);
  `define MH_ASSERT(__name, __prop, __clk = clk_i, __rst_n = rst_ni) \
    __name: assert property (@(posedge __clk) disable iff (!(__rst_n)) (__prop)) \
      else `MH_ASSERT_MSG(__name);
  `define MH_ASSUME(__name, __prop, __clk = clk_i, __rst_n = rst_ni) \
    __name: assume property (@(posedge __clk) disable iff (!(__rst_n)) (__prop)) \
      else `MH_ASSERT_MSG(__name);
  `define MH_ASSERT_NEVER(__name, __prop, __clk = clk_i, __rst_n = rst_ni) \
    __name: assert property (@(posedge __clk) disable iff (!(__rst_n)) !(__prop)) \
      else `MH_ASSERT_MSG(__name);
  `define MH_ASSERT_KNOWN(__name, __sig, __clk = clk_i, __rst_n = rst_ni) \
    __name: assert property (@(posedge __clk) disable iff (!(__rst_n)) !$isunknown(__sig)) \
      else `MH_ASSERT_MSG(__name);
  `define MH_COVER(__name, __prop, __clk = clk_i, __rst_n = rst_ni) \
    __name: cover property (@(posedge __clk) disable iff (!(__rst_n)) (__prop));
`endif

`endif  // MAMBAHW_ASSERT_SVH
