// nibble_fp16_round: the one binary16 rounder of nibble's RTL.
//
// Rounds an exact real value, given as sign and unsigned fixed-point magnitude, once to
// binary16: round to nearest, ties to even; subnormals kept; overflow gives +-Inf. A zero
// magnitude gives a zero with the given sign (callers apply their own signed-zero rules).
// Every other module that produces binary16 bits (nibble_product, nibble_fp16_add,
// nibble_scale_unit) goes through this module, as num::fp16_from_scaled_int, fp16_add and
// Fp16::from_double go through the one round_pack of model/numerics/minifloat.cc.
//
// Algorithm. value = mag_i * 2^-FracBits. Let p be the index of the leading one of mag_i.
//  - p >= FracBits - 14 (value >= 2^-14): normal. Biased exponent field p - FracBits + 15; the
//    11 significand bits are mag_i[p -: 11]; the bits below them are discarded.
//  - otherwise: subnormal, field 0. The significand is mag_i in units of 2^-24, i.e. the bits
//    from index FracBits - 24 upwards.
// Either way `lsb` is the index of the lowest kept bit, guard = mag_i[lsb - 1] and sticky =
// OR of the bits below the guard; the result rounds up iff guard & (sticky | kept LSB). The
// rounding increment is added to {field, mantissa} as one 15-bit integer: a mantissa carry
// moves into the exponent (a subnormal can round up to 2^-14, 65504 + ulp/2 to +Inf) exactly
// as IEEE 754 requires. A field >= 31 before rounding is an overflow: +-Inf.
module nibble_fp16_round #(
  parameter int unsigned MagWidth = 41,  // width of the magnitude; needs FracBits >= 24
  parameter int unsigned FracBits = 24   // fractional bits of the magnitude
) (
  input  logic                sign_i,  // sign of the value (1: negative)
  input  logic [MagWidth-1:0] mag_i,   // |value| * 2^FracBits, an exact unsigned integer
  output logic [15:0]         fp16_o   // the value rounded to binary16 (RNE)
);

  localparam int unsigned IdxWidth = $clog2(MagWidth + 1);
  // Index of the 2^-14 bit (smallest normal) and of the 2^-24 bit (subnormal quantum).
  localparam int unsigned NormalIdx = FracBits - 14;
  localparam int unsigned SubnormalLsb = FracBits - 24;

  logic [IdxWidth-1:0] lead;      // index of the leading one (0 when mag_i is zero)
  logic [IdxWidth-1:0] lsb;       // index of the lowest kept bit
  logic                is_normal;
  logic                overflow;  // field >= 31 before rounding
  logic [4:0]          field;     // biased exponent before rounding
  logic [9:0]          kept;      // (mag_i >> lsb) without the hidden bit: the mantissa field
  logic [MagWidth-1:0] low_mask;  // bits below lsb
  logic [MagWidth-1:0] half;      // the guard bit's weight: 1 << (lsb - 1), 0 when lsb == 0
  logic                guard;
  logic                sticky;
  logic                round_up;
  logic [14:0]         magnitude;

  // Leading-one detector: the last set bit wins.
  always_comb begin
    lead = '0;
    for (int unsigned i = 0; i < MagWidth; i++) begin
      if (mag_i[i]) begin
        lead = IdxWidth'(i);
      end
    end
  end

  always_comb begin
    is_normal = 32'(lead) >= NormalIdx;
    overflow  = is_normal && (32'(lead) - NormalIdx + 1 >= 31);
    field     = is_normal ? 5'(32'(lead) - NormalIdx + 1) : 5'd0;
    lsb       = is_normal ? IdxWidth'(32'(lead) - 10) : IdxWidth'(SubnormalLsb);
    kept      = 10'(mag_i >> lsb);  // the hidden bit (index 10) is implied by field
    low_mask  = ~({MagWidth{1'b1}} << lsb);
    half      = (lsb == '0) ? '0 : (MagWidth'(1) << (lsb - 1'b1));
    guard     = |(mag_i & half);
    sticky    = |(mag_i & low_mask & ~half);
    round_up  = guard & (sticky | kept[0]);
    magnitude = {field, kept} + 15'(round_up);
    if (overflow) begin
      fp16_o = {sign_i, nibble_pkg::Fp16PosInf[14:0]};
    end else begin
      fp16_o = {sign_i, magnitude};
    end
  end

endmodule
