// nibble_product: the exact binary16 product of two 4-bit operands (combinational).
//
// Bit-exact with num::product_fp16 (model/numerics/product.h, docs/numerics.md "4-bit
// products"):
//  - INT4/UINT4 x INT4/UINT4: the integer product, in [-120, 225].
//  - FP4 x INT4/UINT4 (either order): the integer operand shifted by the FP4 code's power of
//    two s = 2 * (e - Fp4Bias) + phase; sign = XOR of the operand signs.
//  - A zero operand (including FP4 -0, code 4'h8) gives +0.
//  - Each operand is decomposed into a signed integer and a power of two; the magnitude is
//    placed on the binary16 fixed-point grid (units of 2^-24: |product| < 2^16, so 40 bits)
//    and packed by nibble_fp16_round. For the admitted biases [2, 13] the product is exact in
//    binary16, so the rounder never rounds (the shift s + 24 is never negative).
//  - FP4 x FP4 and FP16 operands are not PE operations (num::validate_pair rejects them); the
//    RTL gives the canonical NaN for them, so a misconfigured array is visible in its outputs.
module nibble_product #(
  parameter int Fp4Bias = nibble_pkg::Fp4Bias  // FP4 exponent bias (Fp4Spec::bias), in [2, 13]
) (
  input  nibble_pkg::operand_fmt_t fmt_a_i,  // format (and TPR phase) of operand A
  input  logic [3:0]               a_i,      // 4-bit code of operand A
  input  nibble_pkg::operand_fmt_t fmt_b_i,  // format (and TPR phase) of operand B
  input  logic [3:0]               b_i,      // 4-bit code of operand B
  output logic [15:0]              prod_o    // A x B as binary16 bits
);

  localparam int unsigned FixWidth = nibble_pkg::Fp16FixWidth;
  localparam int FixFrac = int'(nibble_pkg::Fp16FixFracBits);

  if (Fp4Bias < nibble_pkg::Fp4MinBias || Fp4Bias > nibble_pkg::Fp4MaxBias) begin : gen_bias_err
    $error("nibble_product: Fp4Bias outside the admitted range [2, 13]");
  end

  // One operand as sign, magnitude (0..15) and power of two (0 for integers).
  typedef struct packed {
    logic       neg;
    logic [3:0] mag;
    logic [5:0] exp2_plus;  // power of two + FixFrac: the left shift onto the 2^-24 grid
  } term_t;

  function automatic term_t decompose(nibble_pkg::operand_fmt_t fmt, logic [3:0] code);
    term_t t;
    t.neg       = 1'b0;
    t.mag       = 4'd0;
    t.exp2_plus = 6'(FixFrac);
    unique case (fmt.fmt)
      nibble_pkg::FmtInt4: begin
        t.neg = code[3];
        t.mag = code[3] ? 4'(-code) : code;  // |-8| = 8 fits in 4 bits
      end
      nibble_pkg::FmtUint4: begin
        t.mag = code;
      end
      nibble_pkg::FmtFp4: begin
        t.neg       = code[nibble_pkg::Fp4SignBit];
        t.mag       = (code[2:0] == 3'd0) ? 4'd0 : 4'd1;
        t.exp2_plus = 6'(2 * (int'(code[2:0]) - Fp4Bias) + int'(fmt.phase) + FixFrac);
      end
      default: begin
      end
    endcase
    return t;
  endfunction

  term_t            ta;
  term_t            tb;
  logic [7:0]       mag;      // |A| * |B| as integers, <= 225
  logic [6:0]       shift;    // left shift of mag onto the 2^-24 grid
  logic [FixWidth-1:0] fixed; // |A x B| * 2^24
  logic             neg;
  logic             valid;    // a PE operation: no FP16 operand, not FP4 x FP4
  logic [15:0]      packed_prod;

  always_comb begin
    ta    = decompose(fmt_a_i, a_i);
    tb    = decompose(fmt_b_i, b_i);
    mag   = ta.mag * tb.mag;
    // Each exp2_plus carries one FixFrac; remove one of them.
    shift = 7'(ta.exp2_plus) + 7'(tb.exp2_plus) - 7'(FixFrac);
    fixed = FixWidth'(mag) << shift;
    neg   = (ta.neg ^ tb.neg) && (mag != 8'd0);  // a zero product is +0
    valid = nibble_pkg::is_operand_fmt(fmt_a_i.fmt) && nibble_pkg::is_operand_fmt(fmt_b_i.fmt) &&
            !(fmt_a_i.fmt == nibble_pkg::FmtFp4 && fmt_b_i.fmt == nibble_pkg::FmtFp4);
  end

  nibble_fp16_round #(
    .MagWidth(FixWidth),
    .FracBits(nibble_pkg::Fp16FixFracBits)
  ) u_round (
    .sign_i(neg),
    .mag_i (fixed),
    .fp16_o(packed_prod)
  );

  assign prod_o = valid ? packed_prod : nibble_pkg::Fp16CanonicalNaN;

endmodule
