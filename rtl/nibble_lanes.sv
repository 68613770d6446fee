// nibble_lanes: the arithmetic of one L-lane PE step, the chunk rule (combinational), behind
// ports:
//
//   psum_o = mac_en_i ? fp16_add(psum_i, chunk) : psum_i
//   chunk  = round16(exact sum of the products of the enabled lanes)
//
// as num::chunk_fp16 + num::fp16_add and datapath::pe_step (model/numerics/lanes.h,
// docs/numerics.md "Lanes: the chunk rule"). The rule and its datapath (per-lane products by
// shifters and a small integer multiplier, an exact adder tree, one rounder, the FP16 adder)
// are nibble_arith_pkg::lanes::step, which every PE of nibble_mac_array calls; this module is
// how the testbench (tb_lanes) checks it. With Lanes = 1 and lane_en_i = 1 a chunk is one
// product, exact in binary16, so psum_o equals nibble_mac's for every input.
module nibble_lanes #(
  parameter int Lanes   = 1,                   // L, lanes of the PE (pe.lanes), in [1, 64]
  parameter int Fp4Bias = nibble_pkg::Fp4Bias  // FP4 exponent bias (Fp4Spec::bias), in [2, 13]
) (
  input  nibble_pkg::operand_fmt_t    fmt_a_i,    // format (and TPR phase) of operand A
  input  nibble_pkg::operand_fmt_t    fmt_b_i,    // format (and TPR phase) of operand B
  input  logic [Lanes-1:0][3:0]       a_i,        // 4-bit codes of A, lane i = a_i[i]
  input  logic [Lanes-1:0][3:0]       b_i,        // 4-bit codes of B, lane i = b_i[i]
  input  logic [Lanes-1:0]            lane_en_i,  // 1: lane i holds an element of the chunk
  input  logic                        mac_en_i,   // 1: accumulate the chunk; 0: pass psum_i
  input  logic [15:0]                 psum_i,     // binary16 partial sum in
  output logic [15:0]                 psum_o      // binary16 partial sum out
);

  if (Lanes < 1 || Lanes > 64) begin : gen_lanes_err
    $error("nibble_lanes: Lanes outside the admitted range [1, 64]");
  end
  if (Fp4Bias < nibble_pkg::Fp4MinBias || Fp4Bias > nibble_pkg::Fp4MaxBias) begin : gen_bias_err
    $error("nibble_lanes: Fp4Bias outside the admitted range [2, 13]");
  end

  assign psum_o = nibble_arith_pkg::lanes#(Lanes, Fp4Bias)::step(fmt_a_i, fmt_b_i, a_i, b_i,
                                                                  lane_en_i, mac_en_i, psum_i);

endmodule
