// nibble_mac: the arithmetic of one 4-bit PE (combinational).
//
//   psum_o = mac_en_i ? fp16_add(psum_i, product_fp16(a_i, b_i)) : psum_i
//
// as num::product_fp16 + num::fp16_add and datapath::pe_step (docs/datapath.md, "The PE").
// The product is exact, so the add is the only rounding of a step; chaining steps k = 0 ..
// K-1 gives the accumulation order of docs/numerics.md. With mac_en_i = 0 the partial sum
// passes through unchanged (adding a +0 product would turn a -0 partial sum into +0).
// The array (rtl/nibble_mac_array.sv) adds the PE registers around this module.
module nibble_mac #(
  parameter int Fp4Bias = nibble_pkg::Fp4Bias  // FP4 exponent bias (Fp4Spec::bias), in [2, 13]
) (
  input  nibble_pkg::operand_fmt_t fmt_a_i,   // format (and TPR phase) of operand A
  input  nibble_pkg::operand_fmt_t fmt_b_i,   // format (and TPR phase) of operand B
  input  logic [3:0]               a_i,       // 4-bit code of operand A (A's element)
  input  logic [3:0]               b_i,       // 4-bit code of operand B (B's element)
  input  logic                     mac_en_i,  // 1: accumulate the product; 0: pass psum_i
  input  logic [15:0]              psum_i,    // binary16 partial sum in
  output logic [15:0]              psum_o     // binary16 partial sum out
);

  logic [15:0] prod;
  logic [15:0] sum;

  nibble_product #(
    .Fp4Bias(Fp4Bias)
  ) u_product (
    .fmt_a_i(fmt_a_i),
    .a_i    (a_i),
    .fmt_b_i(fmt_b_i),
    .b_i    (b_i),
    .prod_o (prod)
  );

  nibble_fp16_add u_add (
    .a_i  (psum_i),
    .b_i  (prod),
    .sum_o(sum)
  );

  assign psum_o = mac_en_i ? sum : psum_i;

endmodule
