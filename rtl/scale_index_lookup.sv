// Quamba2 scale-index lookup: x-segment channel -> (SSD group g, head group,
// dim group) -> FP32 output scale, over range tables held in a small register
// memory (docs/arithmetic.md §9.1; golden lookup_scale_index()).
//
// Memories (written through the w* port, word addresses row-major):
//   sel 0: head_range[g][hg]      cumulative end head within group g (16 bits)
//   sel 1: dim_range[g][hg][dg]   cumulative end dim within a head   (16 bits)
//   sel 2: x_scales[g][hg][dg]    FP32 scale                          (32 bits)
//
// Parallel = 0 (sequential compare): one range comparison per cycle with early
//   exit, exactly the golden loop; one lookup at a time. Latency from the
//   accepting cycle to valid_o: compares + 2 cycles (compares = 2..NHG+NDG).
// Parallel = 1: all head-group comparators in one cycle, all dim-group
//   comparators of the chosen head group in the next, scale read in the
//   third; fully pipelined (one lookup per cycle), latency 3 cycles.
// Outputs: found_o, g_o, hg_o (all ones: no head group matched), dg_o (all
// ones: none), scale_o (0.0 when not found). Channels >= XDim give all zeros.
`include "mambahw_assert.svh"

module scale_index_lookup #(
  parameter int Groups        = 1,   // G
  parameter int HeadGroups    = 4,   // nHG (<= 15)
  parameter int DimGroups     = 4,   // nDG (<= 15)
  parameter int HeadsPerGroup = 24,
  parameter int HeadDim       = 64,
  parameter bit          Parallel      = 1'b0,
  localparam int XDim  = Groups * HeadsPerGroup * HeadDim,
  localparam int NHr   = Groups * HeadGroups,
  localparam int NCell = Groups * HeadGroups * DimGroups,
  localparam int AW    = $clog2(NCell + 1),
  localparam int HrAW  = (NHr > 1) ? $clog2(NHr) : 1,
  localparam int CellAW = (NCell > 1) ? $clog2(NCell) : 1
) (
  input  logic          clk_i,
  input  logic          rst_ni,
  // table write port
  input  logic          we_i,
  input  logic [1:0]    wsel_i,
  input  logic [AW-1:0] waddr_i,
  input  logic [31:0]   wdata_i,
  // lookup
  input  logic          valid_i,
  output logic          ready_o,
  input  logic [15:0]   channel_i,
  output logic          valid_o,
  input  logic          ready_i,
  output logic          found_o,
  output logic [6:0]    g_o,
  output logic [3:0]    hg_o,
  output logic [3:0]    dg_o,
  output logic [31:0]   scale_o
);
  logic [15:0] head_range_q [NHr];
  logic [15:0] dim_range_q  [NCell];
  logic [31:0] scales_q     [NCell];

  // ---- parameter legality and the block's invariants (docs/rtl.md) -------------
  // The output fields are g 7 bits, hg/dg 4 bits (0xf: none), channel 16 bits;
  // decode() keeps head 8 bits and dim 7 bits.
  `MH_ASSERT_INIT(GroupsLegal_A, Groups >= 1 && Groups <= 127)
  `MH_ASSERT_INIT(HeadGroupsLegal_A, HeadGroups >= 1 && HeadGroups <= 15)
  `MH_ASSERT_INIT(DimGroupsLegal_A, DimGroups >= 1 && DimGroups <= 15)
  `MH_ASSERT_INIT(HeadsPerGroupLegal_A, HeadsPerGroup >= 1 && HeadsPerGroup <= 256)
  `MH_ASSERT_INIT(HeadDimLegal_A, HeadDim >= 1 && HeadDim <= 128)
  `MH_ASSERT_INIT(XDimLegal_A, XDim <= 65536)
  `MH_ASSERT_KNOWN(ValidOKnown_A, valid_o)
  `MH_ASSERT_KNOWN(ReadyOKnown_A, ready_o)
  `MH_ASSERT_KNOWN(ResultKnown_A, valid_o ? {found_o, g_o, hg_o, dg_o, scale_o} : '0)
  // found names a real cell; not found gives the scale 0 (docs/arithmetic.md §9.1).
  `MH_ASSERT(FoundNamesACell_A, valid_o && found_o |-> 32'(hg_o) < HeadGroups && 32'(dg_o) < DimGroups &&
                                                       32'(g_o) < Groups)
  `MH_ASSERT(NotFoundScaleZero_A, valid_o && !found_o |-> scale_o == '0)
  `MH_ASSERT(OutputHolds_A, valid_o && !ready_i |=> valid_o &&
                              $stable({found_o, g_o, hg_o, dg_o, scale_o}))

  always_ff @(posedge clk_i) begin
    if (we_i) begin
      case (wsel_i)
        2'd0: if (32'(waddr_i) < NHr) head_range_q[HrAW'(waddr_i)] <= wdata_i[15:0];
        2'd1: if (32'(waddr_i) < NCell) dim_range_q[CellAW'(waddr_i)] <= wdata_i[15:0];
        2'd2: if (32'(waddr_i) < NCell) scales_q[CellAW'(waddr_i)] <= wdata_i;
        default: ;
      endcase
    end
  end

  // Channel decode (constant divisors).
  function automatic logic [22:0] decode(logic [15:0] c);  // {in_x, g[6:0], head[7:0], dim[6:0]}
    logic [31:0] gs, gi, hi, di;
    gs = HeadsPerGroup * HeadDim;
    gi = 32'(c) / gs;
    hi = (32'(c) % gs) / HeadDim;
    di = 32'(c) % HeadDim;
    decode = {32'(c) < XDim, gi[6:0], hi[7:0], di[6:0]};
  endfunction

  function automatic logic [CellAW-1:0] cell_addr(logic [6:0] g, logic [3:0] hg, logic [3:0] dg);
    cell_addr = CellAW'((32'(g) * HeadGroups + 32'(hg)) * DimGroups + 32'(dg));
  endfunction
  function automatic logic [HrAW-1:0] hr_addr(logic [6:0] g, logic [3:0] hg);
    hr_addr = HrAW'(32'(g) * HeadGroups + 32'(hg));
  endfunction

  if (!Parallel) begin : gen_sequential
    // State encoding as constants: Icarus 11 cannot elaborate an enum typedef
    // inside a generate block, and the testbenches must run there too.
    localparam logic [1:0] Idle = 2'd0, HeadSearch = 2'd1, DimSearch = 2'd2, Done = 2'd3;
    logic [1:0]  state_q;
    logic        in_x_q, found_q;
    logic [6:0]  g_q;
    logic [7:0]  head_q;
    logic [6:0]  dim_q;
    logic [3:0]  hg_q, dg_q, k_q;
    logic [15:0] start_q;    // h_start / ch_start of the loop
    logic [15:0] end_val;
    logic        hit;

    assign end_val = (state_q == HeadSearch) ? head_range_q[hr_addr(g_q, k_q)]
                                             : dim_range_q[cell_addr(g_q, hg_q, k_q)];
    assign hit = (state_q == HeadSearch) ? (16'(head_q) >= start_q && 16'(head_q) < end_val)
                                         : (16'(dim_q) >= start_q && 16'(dim_q) < end_val);
    assign ready_o = (state_q == Idle);
    // The search index never passes the table it walks.
    `MH_ASSERT(HeadSearchInTable_A, state_q == HeadSearch |-> 32'(k_q) < HeadGroups)
    `MH_ASSERT(DimSearchInTable_A, state_q == DimSearch |-> 32'(k_q) < DimGroups && 32'(hg_q) < HeadGroups)

    always_ff @(posedge clk_i or negedge rst_ni) begin
      if (!rst_ni) begin
        state_q <= Idle;
        found_q <= 1'b0;
      end else begin
        case (state_q)
          Idle: if (valid_i) begin
            {in_x_q, g_q, head_q, dim_q} <= decode(channel_i);
            hg_q <= 4'hf;
            dg_q <= 4'hf;
            k_q <= '0;
            start_q <= '0;
            found_q <= 1'b0;
            state_q <= (32'(channel_i) < XDim) ? HeadSearch : Done;
          end
          HeadSearch: begin  // one comparison per cycle
            if (hit) begin
              hg_q <= k_q;
              k_q <= '0;
              start_q <= '0;
              state_q <= DimSearch;
            end else begin
              start_q <= end_val;
              k_q <= k_q + 4'd1;
              if (32'(k_q) + 1 == HeadGroups) state_q <= Done;
            end
          end
          DimSearch: begin
            if (hit) begin
              dg_q <= k_q;
              found_q <= 1'b1;
              state_q <= Done;
            end else begin
              start_q <= end_val;
              k_q <= k_q + 4'd1;
              if (32'(k_q) + 1 == DimGroups) state_q <= Done;
            end
          end
          Done: if (ready_i) state_q <= Idle;
          default: state_q <= Idle;
        endcase
      end
    end

    // Done: the scale read.
    assign valid_o = (state_q == Done);
    assign found_o = found_q;
    assign g_o = in_x_q ? g_q : '0;
    assign hg_o = in_x_q ? hg_q : '0;
    assign dg_o = in_x_q ? dg_q : '0;
    assign scale_o = found_q ? scales_q[cell_addr(g_q, hg_q, dg_q)] : '0;

  end else begin : gen_parallel
    // stage 1: head-group comparators
    logic        v1_q, in_x1_q;
    logic [6:0]  g1_q;
    logic [7:0]  head1_q;
    logic [6:0]  dim1_q;
    logic        v2_q, in_x2_q, v3_q;
    logic [6:0]  g2_q;
    logic [6:0]  dim2_q;
    logic [3:0]  hg2_q;
    logic        found3_q, in_x3_q;
    logic [6:0]  g3_q;
    logic [3:0]  hg3_q, dg3_q;
    logic        adv1, adv2, adv3;

    assign adv3 = !v3_q || ready_i;
    assign adv2 = !v2_q || adv3;
    assign adv1 = !v1_q || adv2;
    assign ready_o = adv1;

    always_ff @(posedge clk_i or negedge rst_ni) begin
      if (!rst_ni) begin
        v1_q <= 1'b0;
        v2_q <= 1'b0;
        v3_q <= 1'b0;
      end else begin
        if (adv1) v1_q <= valid_i;
        if (adv2) v2_q <= v1_q;
        if (adv3) v3_q <= v2_q;
      end
    end

    always_ff @(posedge clk_i) begin
      if (adv1 && valid_i) {in_x1_q, g1_q, head1_q, dim1_q} <= decode(channel_i);
    end

    // Head groups: first k with HR[k-1] <= head < HR[k] (HR[-1] = 0).
    logic [3:0] hg_d;
    always_comb begin
      logic [15:0] lo;
      hg_d = 4'hf;
      lo = '0;
      for (int k = HeadGroups - 1; k >= 0; k--) begin
        lo = (k == 0) ? 16'h0 : head_range_q[hr_addr(g1_q, 4'(k - 1))];
        if (16'(head1_q) >= lo && 16'(head1_q) < head_range_q[hr_addr(g1_q, 4'(k))]) hg_d = 4'(k);
      end
    end
    always_ff @(posedge clk_i) begin
      if (adv2 && v1_q) begin
        in_x2_q <= in_x1_q;
        g2_q <= g1_q;
        dim2_q <= dim1_q;
        hg2_q <= in_x1_q ? hg_d : 4'hf;
      end
    end

    // Dim groups of the chosen head group.
    logic [3:0] dg_d;
    always_comb begin
      logic [15:0] lo;
      dg_d = 4'hf;
      lo = '0;
      if (hg2_q != 4'hf) begin
        for (int k = DimGroups - 1; k >= 0; k--) begin
          lo = (k == 0) ? 16'h0 : dim_range_q[cell_addr(g2_q, hg2_q, 4'(k - 1))];
          if (16'(dim2_q) >= lo && 16'(dim2_q) < dim_range_q[cell_addr(g2_q, hg2_q, 4'(k))]) dg_d = 4'(k);
        end
      end
    end
    always_ff @(posedge clk_i) begin
      if (adv3 && v2_q) begin
        in_x3_q <= in_x2_q;
        g3_q <= g2_q;
        hg3_q <= hg2_q;
        dg3_q <= dg_d;
        found3_q <= in_x2_q && (hg2_q != 4'hf) && (dg_d != 4'hf);
      end
    end

    assign valid_o = v3_q;
    assign found_o = found3_q;
    assign g_o = in_x3_q ? g3_q : '0;
    assign hg_o = in_x3_q ? hg3_q : '0;
    assign dg_o = in_x3_q ? dg3_q : '0;
    assign scale_o = found3_q ? scales_q[cell_addr(g3_q, hg3_q, dg3_q)] : '0;
  end

endmodule
