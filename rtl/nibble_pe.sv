// nibble_pe: one processing element of the systolic MAC array (rtl/nibble_mac_array.sv), the
// registers around nibble_lanes. docs/rtl.md ("The array") states the schedule it is built for.
//
// The PE has Lanes (L) lanes (pe.lanes, docs/architecture.md): every operand token carries L
// 4-bit codes, one chunk of up to L consecutive k, and a lane enable mask (bit l: lane l holds
// an element of the chunk; a chunk shorter than L, the GEMM's last, enables only its own lanes);
// the stationary registers hold L codes and their mask. One MAC step adds the whole chunk
// (nibble_lanes: the chunk rule). With L = 1 a token is one code and its mask is 1.
//
// Paths (a token is {valid, data, ...}; valid: a wave is here; data: it carries elements,
// else it is a bubble of an unused row or column, which moves like a token but never MACs):
//  - row path, west to east: the streamed operand (ws: A, is: B, os: A) with the wave's flags
//    first (the tile's first wave) and last (os: the last step of an output-completing tile);
//  - column path, north to south (os only): B;
//  - partial-sum path, north to south: ws/is partial sums, accumulated as they pass; os: the
//    drain chain that shifts the finished results out of the column;
//  - preload path, north to south (ws/is only): the next tile's stationary operand (L codes
//    and their mask), each token addressed to its row; the row's PE captures it into its
//    shadow registers.
// Every path moves one PE per cycle, and every register updates only while en_i is 1 (the
// whole array stalls together).
//
// ws/is: the PE multiplies the passing operand's L codes by its L stationary codes and adds the
// chunk's sum to the passing partial sum (datapath::pe_step; is swaps the roles: A stationary,
// B passing); the stationary mask enables the lanes, as the model takes the stationary chunk's
// length.
// The stationary register takes the shadow register's value when the first wave of a tile
// passes (swap), in the same cycle the PE computes that wave with it. A preload token may be
// captured in the swap cycle (the swap takes the old value) but not while the shadow holds a
// tile not yet swapped in; the assertions at the end check this and the os drain's rules.
//
// os: the PE accumulates the chunk of A x B into its own register, from +0 at a first step;
// A's mask enables the lanes (B's must equal it).
// A PE whose chunk is empty (mask 0) does not MAC: its partial sum passes unchanged, as the
// model's bypass (nibble_lanes would add +0, turning a -0 partial sum into +0). At the last step
// of an output-completing tile it also copies the result into its output register; the array
// raises drain_load_i for the whole column once the bottom PE has done so, and the partial-sum
// registers then load the column's results and shift them out, bottom row first.
module nibble_pe #(
  parameter int unsigned RowWidth = 1,     // width of a preload token's row address
  parameter int unsigned Lanes = 1,        // L: lanes, codes per token (pe.lanes), in [1, 64]
  parameter int          Fp4Bias = nibble_pkg::Fp4Bias  // FP4 exponent bias, in [2, 13]
) (
  input  logic                     clk_i,        // clock
  input  logic                     rst_ni,       // asynchronous reset, active low
  input  logic [RowWidth-1:0]      row_i,
  input  logic                     en_i,         // 1: registers update (the array advances)
  input  nibble_pkg::dataflow_e    dataflow_i,   // os, ws or is (held for a whole GEMM)
  input  nibble_pkg::operand_fmt_t fmt_a_i,      // format of A's elements
  input  nibble_pkg::operand_fmt_t fmt_b_i,      // format of B's elements
  // Row lane (from the west neighbour or the array edge) and its registered copy (to the east).
  input  logic                     x_valid_i,    // a wave's token is here
  input  logic                     x_data_i,     // it carries an element (else a bubble)
  input  logic                     x_first_i,    // first wave of a tile (ws/is: swap; os: from +0)
  input  logic                     x_last_i,     // os: last step of an output-completing tile
  input  logic [Lanes-1:0][3:0]    x_code_i,     // the chunk's 4-bit codes, lane l = [l]
  input  logic [Lanes-1:0]         x_en_i,       // lane enables: lane l holds an element
  output logic                     x_valid_o,
  output logic                     x_data_o,
  output logic                     x_first_o,
  output logic                     x_last_o,
  output logic [Lanes-1:0][3:0]    x_code_o,
  output logic [Lanes-1:0]         x_en_o,
  // Column lane, os: B (from the north neighbour or the edge) and its registered copy (south).
  input  logic                     b_valid_i,    // a step's token is here
  input  logic                     b_data_i,     // it carries an element (else a bubble)
  input  logic [Lanes-1:0][3:0]    b_code_i,     // B's chunk, lane l = [l]
  input  logic [Lanes-1:0]         b_en_i,       // its lane enables
  output logic                     b_valid_o,
  output logic                     b_data_o,
  output logic [Lanes-1:0][3:0]    b_code_o,
  output logic [Lanes-1:0]         b_en_o,
  // Partial-sum lane (ws/is: partial sums; os: drain chain), north in, registered south out.
  input  logic                     p_valid_i,    // a token is here
  input  logic                     p_data_i,     // it is an output element (else a bubble)
  input  logic [15:0]              p_value_i,    // binary16 partial sum or result
  output logic                     p_valid_o,
  output logic                     p_data_o,
  output logic [15:0]              p_value_o,
  // Preload lane (ws/is), north in, registered south out (tokens for rows below this one).
  input  logic                     w_valid_i,    // a preload token is here
  input  logic                     w_data_i,     // it carries an element (else a bubble)
  input  logic [RowWidth-1:0]      w_row_i,      // the row it is addressed to
  input  logic [Lanes-1:0][3:0]    w_code_i,     // the stationary chunk's codes
  input  logic [Lanes-1:0]         w_en_i,       // its lane enables
  output logic                     w_valid_o,
  output logic                     w_data_o,
  output logic [RowWidth-1:0]      w_row_o,
  output logic [Lanes-1:0][3:0]    w_code_o,
  output logic [Lanes-1:0]         w_en_o,
  // os drain control, from the array.
  input  logic                     drain_load_i  // the partial-sum registers load the results
);

  import nibble_pkg::*;

  logic ws_or_is;
  assign ws_or_is = dataflow_i != DfOs;

  // ---- State -----------------------------------------------------------------------------
  logic              shadow_full_q, shadow_full_d;  // ws/is: shadow loaded, not yet swapped
  logic              shadow_data_q, shadow_data_d;
  logic [Lanes-1:0][3:0] shadow_code_q, shadow_code_d;
  logic [Lanes-1:0]  shadow_en_q, shadow_en_d;
  logic              stat_data_q, stat_data_d;      // ws/is: the stationary operand in use
  logic [Lanes-1:0][3:0] stat_code_q, stat_code_d;
  logic [Lanes-1:0]  stat_en_q, stat_en_d;
  logic [15:0]       acc_q, acc_d;                  // os: the accumulator
  logic              out_full_q, out_full_d;        // os: a finished result waits to drain
  logic              out_data_q, out_data_d;
  logic [15:0]       out_value_q, out_value_d;

  // ---- The MAC ---------------------------------------------------------------------------
  logic              swap;        // ws/is: the first wave of a tile passes
  logic              stat_data;   // the stationary operand this cycle (after a swap)
  logic [Lanes-1:0][3:0] stat_code;
  logic [Lanes-1:0]  stat_en;
  logic              capture;     // ws/is: a preload token for this row arrives
  logic              mac_en;
  logic [Lanes-1:0][3:0] mac_a, mac_b;
  logic [Lanes-1:0]  mac_lane_en; // the lanes of the chunk
  logic [15:0]       mac_psum, mac_out;

  assign swap = ws_or_is && x_valid_i && x_first_i;
  assign stat_data = swap ? shadow_data_q : stat_data_q;
  assign stat_code = swap ? shadow_code_q : stat_code_q;
  assign stat_en = swap ? shadow_en_q : stat_en_q;
  assign capture = ws_or_is && w_valid_i && (w_row_i == row_i);

  always_comb begin
    mac_en = 1'b0;
    mac_a = x_code_i;
    mac_b = stat_code;
    mac_lane_en = stat_en;
    mac_psum = p_value_i;
    unique case (dataflow_i)
      DfWs: begin
        mac_en = x_valid_i && x_data_i && stat_data && p_valid_i && p_data_i && (|stat_en);
      end
      DfIs: begin
        mac_en = x_valid_i && x_data_i && stat_data && p_valid_i && p_data_i && (|stat_en);
        mac_a = stat_code;
        mac_b = x_code_i;
      end
      DfOs: begin
        mac_en = x_valid_i && x_data_i && b_valid_i && b_data_i && (|x_en_i);
        mac_b = b_code_i;
        mac_lane_en = x_en_i;
        mac_psum = x_first_i ? Fp16PosZero : acc_q;
      end
      default: begin
        mac_en = 1'b0;
      end
    endcase
  end

  nibble_lanes #(
    .Lanes  (Lanes),
    .Fp4Bias(Fp4Bias)
  ) u_lanes (
    .fmt_a_i  (fmt_a_i),
    .fmt_b_i  (fmt_b_i),
    .a_i      (mac_a),
    .b_i      (mac_b),
    .lane_en_i(mac_lane_en),
    .mac_en_i (mac_en),
    .psum_i  (mac_psum),
    .psum_o  (mac_out)
  );

  // ---- Next state ------------------------------------------------------------------------
  always_comb begin
    shadow_full_d = shadow_full_q;
    shadow_data_d = shadow_data_q;
    shadow_code_d = shadow_code_q;
    shadow_en_d = shadow_en_q;
    stat_data_d = stat_data_q;
    stat_code_d = stat_code_q;
    stat_en_d = stat_en_q;
    acc_d = acc_q;
    out_full_d = out_full_q;
    out_data_d = out_data_q;
    out_value_d = out_value_q;
    if (swap) begin
      stat_data_d = shadow_data_q;
      stat_code_d = shadow_code_q;
      stat_en_d = shadow_en_q;
      shadow_full_d = 1'b0;
    end
    if (capture) begin
      shadow_data_d = w_data_i;
      shadow_code_d = w_code_i;
      shadow_en_d = w_en_i;
      shadow_full_d = 1'b1;
    end
    if (!ws_or_is) begin
      if (drain_load_i) begin
        out_full_d = 1'b0;
      end
      if (x_valid_i) begin
        acc_d = mac_out;
        if (x_last_i) begin
          out_full_d = 1'b1;
          out_data_d = x_data_i && b_data_i;
          out_value_d = mac_out;
        end
      end
    end
  end

  // Lane registers: the row and column lanes pass their tokens on; the partial-sum lane takes
  // the MAC's result (ws/is) or, in os, the drain chain's value from the north or, on
  // drain_load_i, this PE's result; the preload lane passes the tokens not captured here.
  logic              p_valid_d, p_data_d;
  logic [15:0]       p_value_d;
  always_comb begin
    p_valid_d = p_valid_i;
    p_data_d = p_data_i;
    p_value_d = ws_or_is ? mac_out : p_value_i;
    if (!ws_or_is && drain_load_i) begin
      p_valid_d = out_full_q;
      p_data_d = out_data_q;
      p_value_d = out_value_q;
    end
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      x_valid_o <= 1'b0;
      x_data_o <= 1'b0;
      x_first_o <= 1'b0;
      x_last_o <= 1'b0;
      x_code_o <= '0;
      x_en_o <= '0;
      b_valid_o <= 1'b0;
      b_data_o <= 1'b0;
      b_code_o <= '0;
      b_en_o <= '0;
      p_valid_o <= 1'b0;
      p_data_o <= 1'b0;
      p_value_o <= '0;
      w_valid_o <= 1'b0;
      w_data_o <= 1'b0;
      w_row_o <= '0;
      w_code_o <= '0;
      w_en_o <= '0;
      shadow_full_q <= 1'b0;
      shadow_data_q <= 1'b0;
      shadow_code_q <= '0;
      shadow_en_q <= '0;
      stat_data_q <= 1'b0;
      stat_code_q <= '0;
      stat_en_q <= '0;
      acc_q <= Fp16PosZero;
      out_full_q <= 1'b0;
      out_data_q <= 1'b0;
      out_value_q <= '0;
    end else if (en_i) begin
      x_valid_o <= x_valid_i;
      x_data_o <= x_data_i;
      x_first_o <= x_first_i;
      x_last_o <= x_last_i;
      x_code_o <= x_code_i;
      x_en_o <= x_en_i;
      b_valid_o <= b_valid_i;
      b_data_o <= b_data_i;
      b_code_o <= b_code_i;
      b_en_o <= b_en_i;
      p_valid_o <= p_valid_d;
      p_data_o <= p_data_d;
      p_value_o <= p_value_d;
      w_valid_o <= w_valid_i && !capture;
      w_data_o <= w_data_i;
      w_row_o <= w_row_i;
      w_code_o <= w_code_i;
      w_en_o <= w_en_i;
      shadow_full_q <= shadow_full_d;
      shadow_data_q <= shadow_data_d;
      shadow_code_q <= shadow_code_d;
      shadow_en_q <= shadow_en_d;
      stat_data_q <= stat_data_d;
      stat_code_q <= stat_code_d;
      stat_en_q <= stat_en_d;
      acc_q <= acc_d;
      out_full_q <= out_full_d;
      out_data_q <= out_data_d;
      out_value_q <= out_value_d;
    end
  end

  // ---- Schedule assertions (the controller's contract; docs/rtl.md, "The array") ---------
  // A cycle in which the array advances must not break these; verilator --assert checks them.
  always_ff @(posedge clk_i) begin
    if (rst_ni && en_i) begin
      assert (dataflow_i inside {DfOs, DfWs, DfIs})
        else $error("nibble_pe: dataflow %0d is not os, ws or is", dataflow_i);
      if (ws_or_is) begin
        assert (x_valid_i == p_valid_i)
          else $error("nibble_pe: operand and partial sum out of step");
        assert (!(capture && shadow_full_q && !swap))
          else $error("nibble_pe: preload overwrote a tile not yet swapped in");
        assert (!(swap && !shadow_full_q))
          else $error("nibble_pe: first wave with no preloaded tile");
        assert (!(mac_en && x_en_i != stat_en))
          else $error("nibble_pe: operand and stationary chunks of different lanes");
      end else begin
        assert (x_valid_i == b_valid_i)
          else $error("nibble_pe: A and B out of step");
        assert (!(mac_en && x_en_i != b_en_i))
          else $error("nibble_pe: A and B chunks of different lanes");
        assert (!(x_valid_i && x_last_i && out_full_q && !drain_load_i))
          else $error("nibble_pe: a result overwrote one not yet drained");
        assert (!(drain_load_i && p_valid_i))
          else $error("nibble_pe: drain started before the previous one left");
      end
    end
  end

endmodule
