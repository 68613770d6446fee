// nibble_fp16_round: the binary16 rounder of nibble's RTL behind ports (combinational).
//
// Rounds an exact real value, given as sign and unsigned fixed-point magnitude
// (mag_i * 2^-FracBits), once to binary16: round to nearest, ties to even; subnormals kept;
// overflow gives +-Inf; a zero magnitude gives a zero with the given sign. The rule and its
// algorithm are nibble_arith_pkg::fp16_round, the one rounder every binary16 result of the RTL
// goes through (nibble_product and nibble_scale_unit through this module; nibble_fp16_add and
// the PE step directly), as num::fp16_from_scaled_int, fp16_add and Fp16::from_double go
// through the one round_pack of model/numerics/minifloat.cc.
module nibble_fp16_round #(
  parameter int unsigned MagWidth = 41,  // width of the magnitude; needs FracBits >= 24
  parameter int unsigned FracBits = 24   // fractional bits of the magnitude
) (
  input  logic                sign_i,  // sign of the value (1: negative)
  input  logic [MagWidth-1:0] mag_i,   // |value| * 2^FracBits, an exact unsigned integer
  output logic [15:0]         fp16_o   // the value rounded to binary16 (RNE)
);

  assign fp16_o = nibble_arith_pkg::fp16_round#(MagWidth, FracBits)::round(sign_i, mag_i);

endmodule
