// nibble_scale_unit: one output element of the scale unit, out = quantize(acc * scale)
// (combinational).
//
// Bit-exact with num::scale_element (model/numerics/scale_unit.cc, docs/numerics.md "Scale
// unit") for rounding = rne. Stochastic rounding is not in the RTL (docs/rtl.md).
//  - acc and scale are binary16. Their exact product is formed as a fixed-point magnitude
//    |acc * scale| * 2^48: the two 11-bit significands multiply to 22 bits, shifted left by
//    (field_acc - 1) + (field_scale - 1) (a subnormal's field counts as 1). Since
//    |acc * scale| < 2^32 and both are multiples of 2^-24, 80 bits hold it exactly.
//  - The exact product is rounded once, to the output format:
//    - FmtInt4 / FmtUint4: to an integer, ties to even (integer part, guard bit, sticky), then
//      saturated to [-8, 7] / [0, 15] (num::round_saturate).
//    - FmtFp4, phase 0/1: the FP4 quantizer with scale 1 (num::quantize_fp4): the exponent
//      field is the number of thresholds |v| reaches. The thresholds are the arithmetic
//      midpoints of neighbouring grid magnitudes (min / 2 between 0 and min, 2.5 * 4^k
//      between 4^k and 4^(k+1), times 2 in phase 1), so a tie goes away from zero (to the
//      larger magnitude); |v| >= max gives the field 7 (saturation). Field 0 gives +0.
//    - FmtFp16: nibble_fp16_round (RNE, subnormals, overflow to +-Inf); a zero product keeps
//      its sign (the XOR of the operand signs).
//  - NaN (a NaN operand, or Inf x 0) gives code 0 in the 4-bit formats and the canonical NaN
//    16'h7E00 in FP16; +-Inf (Inf times a nonzero) saturates the 4-bit formats and stays +-Inf
//    in FP16.
//  - out_o holds a 4-bit code in its low nibble (upper bits zero) or the binary16 bits.
module nibble_scale_unit #(
  parameter int Fp4Bias = nibble_pkg::Fp4Bias  // FP4 exponent bias (Fp4Spec::bias), in [2, 13]
) (
  input  nibble_pkg::output_fmt_t out_fmt_i,  // output format (and TPR phase for FmtFp4)
  input  logic [15:0]             acc_i,      // binary16 accumulator
  input  logic [15:0]             scale_i,    // binary16 scale
  output logic [15:0]             out_o       // the scaled, quantized element
);

  localparam int unsigned FracBits = 48;  // fixed-point fraction: 2^-24 * 2^-24
  localparam int unsigned ProdWidth = 80;
  localparam int unsigned ManWidth = nibble_pkg::Fp16ManWidth;

  if (Fp4Bias < nibble_pkg::Fp4MinBias || Fp4Bias > nibble_pkg::Fp4MaxBias) begin : gen_bias_err
    $error("nibble_scale_unit: Fp4Bias outside the admitted range [2, 13]");
  end

  // FP4 threshold between exponent fields k and k + 1 (k in [0, 6]) on the fixed-point grid:
  // min / 2 = 2^(2 * (1 - bias) + phase - 1) for k = 0, else the midpoint
  // 2.5 * 2^(2 * (k - bias) + phase) = 5 * 2^(2 * (k - bias) + phase - 1).
  function automatic logic [ProdWidth-1:0] fp4_threshold(int k, logic phase);
    int exp2;
    if (k == 0) begin
      exp2 = 2 * (1 - Fp4Bias) + int'(phase) - 1 + int'(FracBits);
      return ProdWidth'(1) << exp2;
    end
    exp2 = 2 * (k - Fp4Bias) + int'(phase) - 1 + int'(FracBits);
    return ProdWidth'(5) << exp2;
  endfunction

  logic                 acc_special;    // exponent field all ones
  logic                 scale_special;
  logic                 acc_zero;       // +-0
  logic                 scale_zero;
  logic                 is_nan;         // NaN operand, or Inf x 0
  logic                 is_inf;         // Inf x nonzero
  logic                 neg;            // sign of the product
  logic [ManWidth:0]    acc_sig;        // significands with the hidden bit
  logic [ManWidth:0]    scale_sig;
  logic [4:0]           acc_shift;      // field - 1 (0 for a subnormal or zero)
  logic [4:0]           scale_shift;
  logic [5:0]           shift;          // acc_shift + scale_shift
  logic [ProdWidth-1:0] mag;            // |acc * scale| * 2^48, exact when finite
  logic [31:0]          int_part;       // floor(|v|)
  logic                 int_guard;      // the 2^-1 bit
  logic                 int_sticky;     // any bit below 2^-1
  logic                 int_up;         // round the magnitude up
  logic [32:0]          int_rounded;    // |v| rounded to an integer, ties to even
  logic [3:0]           int4_code;
  logic [3:0]           uint4_code;
  logic [2:0]           fp4_field;
  logic [3:0]           fp4_code;
  logic [15:0]          fp16_rounded;
  logic [15:0]          fp16_bits;

  always_comb begin
    acc_special   = &acc_i[14:ManWidth];
    scale_special = &scale_i[14:ManWidth];
    acc_zero      = acc_i[14:0] == '0;
    scale_zero    = scale_i[14:0] == '0;
    is_nan        = (acc_special && acc_i[ManWidth-1:0] != '0) ||
                    (scale_special && scale_i[ManWidth-1:0] != '0) ||
                    (acc_special && scale_zero) || (scale_special && acc_zero);
    is_inf        = !is_nan && (acc_special || scale_special);
    neg           = acc_i[15] ^ scale_i[15];

    acc_sig   = {acc_i[14:ManWidth] != '0, acc_i[ManWidth-1:0]};
    scale_sig = {scale_i[14:ManWidth] != '0, scale_i[ManWidth-1:0]};
    acc_shift   = (acc_i[14:ManWidth] == '0) ? 5'd0 : acc_i[14:ManWidth] - 5'd1;
    scale_shift = (scale_i[14:ManWidth] == '0) ? 5'd0 : scale_i[14:ManWidth] - 5'd1;
    shift       = 6'(acc_shift) + 6'(scale_shift);
    mag       = ProdWidth'(acc_sig * scale_sig) << shift;
  end

  // INT4 / UINT4: round the magnitude to an integer (RNE is symmetric), then saturate by sign.
  always_comb begin
    int_part    = mag[FracBits+:32];
    int_guard   = mag[FracBits-1];
    int_sticky  = |mag[FracBits-2:0];
    int_up      = int_guard & (int_sticky | int_part[0]);
    int_rounded = {1'b0, int_part} + 33'(int_up);
    if (is_nan) begin
      int4_code  = 4'h0;
      uint4_code = 4'h0;
    end else if (neg) begin
      int4_code  = (is_inf || int_rounded >= 33'd8) ? 4'h8 : 4'(-int_rounded[3:0]);
      uint4_code = 4'h0;
    end else begin
      int4_code  = (is_inf || int_rounded >= 33'd7) ? 4'h7 : int_rounded[3:0];
      uint4_code = (is_inf || int_rounded >= 33'd15) ? 4'hF : int_rounded[3:0];
    end
  end

  // FP4: count the thresholds |v| reaches.
  always_comb begin
    fp4_field = 3'd0;
    for (int k = 0; k < 7; k++) begin
      if (mag >= fp4_threshold(k, out_fmt_i.phase)) begin
        fp4_field = 3'(k + 1);
      end
    end
    if (is_nan) begin
      fp4_field = 3'd0;
    end else if (is_inf) begin
      fp4_field = 3'd7;
    end
    fp4_code = (fp4_field == 3'd0) ? 4'h0 : {neg, fp4_field};
  end

  nibble_fp16_round #(
    .MagWidth(ProdWidth),
    .FracBits(FracBits)
  ) u_round (
    .sign_i(neg),
    .mag_i (mag),
    .fp16_o(fp16_rounded)
  );

  always_comb begin
    fp16_bits = fp16_rounded;
    if (is_nan) begin
      fp16_bits = nibble_pkg::Fp16CanonicalNaN;
    end else if (is_inf) begin
      fp16_bits = {neg, nibble_pkg::Fp16PosInf[14:0]};
    end
  end

  always_comb begin
    out_o = '0;
    unique case (out_fmt_i.fmt)
      nibble_pkg::FmtInt4:  out_o = {12'd0, int4_code};
      nibble_pkg::FmtUint4: out_o = {12'd0, uint4_code};
      nibble_pkg::FmtFp4:   out_o = {12'd0, fp4_code};
      nibble_pkg::FmtFp16:  out_o = fp16_bits;
      default:              out_o = '0;
    endcase
  end

endmodule
