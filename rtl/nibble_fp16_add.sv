// nibble_fp16_add: binary16 + binary16, rounded once (combinational).
//
// Bit-exact with num::fp16_add (model/numerics/fp16.cc, docs/numerics.md "FP16"):
//  - Specials first: any NaN operand, or Inf + (-Inf), gives the canonical NaN 16'h7E00
//    (payloads and NaN signs are not propagated); Inf + Inf of one sign and Inf + finite give
//    that Inf.
//  - Finite operands: the exact sum, rounded once to nearest, ties to even, subnormals kept,
//    overflow to +-Inf.
//  - An exact zero sum is +0, except (-0) + (-0) = -0.
//
// Algorithm: align to a wide fixed point exactly, add, normalize and round once.
//  1. Every finite binary16 value is an integer multiple of 2^-24 (the smallest subnormal)
//     below 2^16, so |x| * 2^24 is a 40-bit integer: the mantissa (with the hidden bit for a
//     normal) shifted left by field - 1 (field 0: not shifted).
//  2. Signed-magnitude add of the two 40-bit integers: equal signs add (41 bits), opposite
//     signs subtract the smaller magnitude from the larger, whose sign the result takes. No
//     bit is lost, so the sum is exact.
//  3. nibble_fp16_round normalizes the exact sum and rounds it once (RNE, overflow to Inf).
module nibble_fp16_add (
  input  logic [15:0] a_i,   // binary16 operand
  input  logic [15:0] b_i,   // binary16 operand
  output logic [15:0] sum_o  // a_i + b_i as binary16
);

  localparam int unsigned FixWidth = nibble_pkg::Fp16FixWidth;
  localparam int unsigned ManWidth = nibble_pkg::Fp16ManWidth;
  localparam int unsigned ExpWidth = nibble_pkg::Fp16ExpWidth;

  // |x| * 2^24 for a finite binary16 x, from its magnitude bits x[14:0].
  function automatic logic [FixWidth-1:0] to_fixed(logic [14:0] x);
    logic [ExpWidth-1:0] field;
    logic [ManWidth:0]   significand;
    field       = x[14:ManWidth];
    significand = {field != '0, x[ManWidth-1:0]};
    return (field == '0) ? FixWidth'(significand) : FixWidth'(significand) << (field - 1'b1);
  endfunction

  logic                a_special;  // exponent field all ones: Inf or NaN
  logic                b_special;
  logic                a_nan;
  logic                b_nan;
  logic [FixWidth-1:0] a_fix;
  logic [FixWidth-1:0] b_fix;
  logic                a_larger;   // |a| >= |b|
  logic [FixWidth:0]   mag;        // |a + b| * 2^24, exact
  logic                neg;        // sign of a nonzero sum
  logic [15:0]         rounded;

  always_comb begin
    a_special = &a_i[14:ManWidth];
    b_special = &b_i[14:ManWidth];
    a_nan     = a_special && (a_i[ManWidth-1:0] != '0);
    b_nan     = b_special && (b_i[ManWidth-1:0] != '0);
    a_fix     = to_fixed(a_i[14:0]);
    b_fix     = to_fixed(b_i[14:0]);
    a_larger  = a_fix >= b_fix;
    if (a_i[15] == b_i[15]) begin
      mag = {1'b0, a_fix} + {1'b0, b_fix};
      neg = a_i[15];
    end else if (a_larger) begin
      mag = {1'b0, a_fix - b_fix};
      neg = a_i[15];
    end else begin
      mag = {1'b0, b_fix - a_fix};
      neg = b_i[15];
    end
  end

  nibble_fp16_round #(
    .MagWidth(FixWidth + 1),
    .FracBits(nibble_pkg::Fp16FixFracBits)
  ) u_round (
    .sign_i(neg),
    .mag_i (mag),
    .fp16_o(rounded)
  );

  always_comb begin
    sum_o = rounded;
    if (a_nan || b_nan) begin
      sum_o = nibble_pkg::Fp16CanonicalNaN;
    end else if (a_special && b_special) begin
      sum_o = (a_i[15] == b_i[15]) ? a_i : nibble_pkg::Fp16CanonicalNaN;
    end else if (a_special) begin
      sum_o = a_i;
    end else if (b_special) begin
      sum_o = b_i;
    end else if (mag == '0) begin
      sum_o = (a_i[15] && b_i[15]) ? nibble_pkg::Fp16NegZero : nibble_pkg::Fp16PosZero;
    end
  end

endmodule
