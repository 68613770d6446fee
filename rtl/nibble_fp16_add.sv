// nibble_fp16_add: binary16 + binary16, rounded once (combinational), behind ports.
//
// Bit-exact with num::fp16_add (model/numerics/fp16.cc, docs/numerics.md "FP16"): specials
// first (any NaN, or Inf + (-Inf), gives the canonical NaN 16'h7E00; Inf + finite gives that
// Inf), otherwise the exact sum rounded once to nearest, ties to even, subnormals kept,
// overflow to +-Inf; an exact zero sum is +0, except (-0) + (-0) = -0. The rule and its
// algorithm are nibble_arith_pkg::fp16_add, which the PE step calls too.
module nibble_fp16_add (
  input  logic [15:0] a_i,   // binary16 operand
  input  logic [15:0] b_i,   // binary16 operand
  output logic [15:0] sum_o  // a_i + b_i as binary16
);

  assign sum_o = nibble_arith_pkg::fp16_add(a_i, b_i);

endmodule
