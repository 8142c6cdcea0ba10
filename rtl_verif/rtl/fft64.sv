// Pipelined 64-point FFT/IFFT, radix-2² single-path delay feedback (R2²SDF),
// one complex sample per clock, natural-order output; bit-exact with the
// golden model mesh_phy/ofdm/fft_fixed.py, whose docstring states every
// rounding and saturation.
//
// In:  s_axis_tdata = {im, re}, signed IN_W bits each; frames are 64 accepted
//      samples counted from reset; s_axis_tuser on a frame's first sample
//      selects the direction (0 = FFT, 1 = IFFT); s_axis_tlast is expected on
//      the 64th sample: a tlast anywhere else, or a 64th sample without it,
//      sets frame_err (sticky until reset) and the framing by count goes on.
// Out: m_axis_tdata = {im, re}, signed OUT_W bits each, X[0] .. X[63] in
//      natural order, tlast on X[63], tuser = the frame's direction.
//      Value: FFT(x) (or the unnormalised IDFT) / 2^popcount(SCALE), rounded
//      to even at every halving and twiddle product, saturated to OUT_W bits.
//
// Parameters: SCALE bit s = halve after stage s. TW_W = twiddle width: the
// twiddles W64^k have TW_W-2 fraction bits; fft64_twiddle computes the golden
// model's table (fft_fixed.params) for any TW_W from 4 to 24 from tables
// generated from it, so nobody passes it and model and RTL share one table.
//
// Pipeline: six SDF stages (one register each; delay lines of 32, 16, 8, 4,
// 2, 1 entries), twiddle multipliers after stages 1 and 3 (one register
// each, 4 real multipliers each), saturation/direction swap, then the
// reorder buffer (fft64_reorder). Everything up to the reorder buffer moves
// on one clock enable: ce = the last stage holds nothing or the reorder
// buffer takes it; s_axis_tready = ce. Latency at full rate: 136 clocks from
// the edge taking a frame's first sample to the edge handing over its first
// output (fft_fixed.latency_clocks); back-to-back frames stream at one sample
// per clock in and out.
module fft64 #(
    parameter int IN_W  = 16,
    parameter int OUT_W = 16,
    parameter int TW_W  = 16,
    parameter logic [5:0] SCALE = 6'b111111
) (
    input  logic                 clk,
    input  logic                 rst,
    input  logic [2*IN_W-1:0]    s_axis_tdata,
    input  logic                 s_axis_tvalid,
    output logic                 s_axis_tready,
    input  logic                 s_axis_tlast,
    input  logic                 s_axis_tuser,
    output logic [2*OUT_W-1:0]   m_axis_tdata,
    output logic                 m_axis_tvalid,
    input  logic                 m_axis_tready,
    output logic                 m_axis_tlast,
    output logic                 m_axis_tuser,
    output logic                 frame_err
);
    // stage output widths (fft_fixed.FftParams.stage_widths): one bit of
    // growth per stage less its halving, and a guard bit at stage 0
    localparam int W1 = IN_W + 2 - int'(SCALE[0]);
    localparam int W2 = W1 + 1 - int'(SCALE[1]);
    localparam int W3 = W2 + 1 - int'(SCALE[2]);
    localparam int W4 = W3 + 1 - int'(SCALE[3]);
    localparam int W5 = W4 + 1 - int'(SCALE[4]);
    localparam int W6 = W5 + 1 - int'(SCALE[5]);

    logic ce;

    // ---- input: framing, direction, swap for the IFFT
    logic [5:0] n_in;
    logic       dir_q;
    wire        acc = s_axis_tvalid && ce;
    wire        dir = (n_in == 6'd0) ? s_axis_tuser : dir_q;
    wire signed [IN_W-1:0] x_re = s_axis_tdata[IN_W-1:0];
    wire signed [IN_W-1:0] x_im = s_axis_tdata[2*IN_W-1:IN_W];

    always @(posedge clk) begin
        if (rst) begin
            n_in <= '0;
            dir_q <= 1'b0;
            frame_err <= 1'b0;
        end else if (acc) begin
            n_in <= n_in + 1'b1;
            dir_q <= dir;
            if (s_axis_tlast != (n_in == 6'd63)) frame_err <= 1'b1;
        end
    end

    // ---- the six stages and two multipliers
    logic v1, v2, t1v, v3, v4, t2v, v5, v6;
    logic u1, u2, t1u, u3, u4, t2u, u5, u6;
    logic signed [W1-1:0] r1, i1;
    logic signed [W2-1:0] r2, i2, t1r, t1i;
    logic signed [W3-1:0] r3, i3;
    logic signed [W4-1:0] r4, i4, t2r, t2i;
    logic signed [W5-1:0] r5, i5;
    logic signed [W6-1:0] r6, i6;

    fft64_stage #(.D(32), .W_IN(IN_W), .W_OUT(W1), .SC(SCALE[0]), .BF2II(1'b0)) st0 (
        .clk, .rst, .ce, .in_v(acc), .in_re(dir ? x_im : x_re), .in_im(dir ? x_re : x_im), .in_u(dir),
        .out_v(v1), .out_re(r1), .out_im(i1), .out_u(u1));
    fft64_stage #(.D(16), .W_IN(W1), .W_OUT(W2), .SC(SCALE[1]), .BF2II(1'b1)) st1 (
        .clk, .rst, .ce, .in_v(v1), .in_re(r1), .in_im(i1), .in_u(u1),
        .out_v(v2), .out_re(r2), .out_im(i2), .out_u(u2));
    fft64_twiddle #(.W(W2), .TW_W(TW_W), .BLK(64)) tw1 (
        .clk, .rst, .ce, .in_v(v2), .in_re(r2), .in_im(i2), .in_u(u2),
        .out_v(t1v), .out_re(t1r), .out_im(t1i), .out_u(t1u));
    fft64_stage #(.D(8), .W_IN(W2), .W_OUT(W3), .SC(SCALE[2]), .BF2II(1'b0)) st2 (
        .clk, .rst, .ce, .in_v(t1v), .in_re(t1r), .in_im(t1i), .in_u(t1u),
        .out_v(v3), .out_re(r3), .out_im(i3), .out_u(u3));
    fft64_stage #(.D(4), .W_IN(W3), .W_OUT(W4), .SC(SCALE[3]), .BF2II(1'b1)) st3 (
        .clk, .rst, .ce, .in_v(v3), .in_re(r3), .in_im(i3), .in_u(u3),
        .out_v(v4), .out_re(r4), .out_im(i4), .out_u(u4));
    fft64_twiddle #(.W(W4), .TW_W(TW_W), .BLK(16)) tw2 (
        .clk, .rst, .ce, .in_v(v4), .in_re(r4), .in_im(i4), .in_u(u4),
        .out_v(t2v), .out_re(t2r), .out_im(t2i), .out_u(t2u));
    fft64_stage #(.D(2), .W_IN(W4), .W_OUT(W5), .SC(SCALE[4]), .BF2II(1'b0)) st4 (
        .clk, .rst, .ce, .in_v(t2v), .in_re(t2r), .in_im(t2i), .in_u(t2u),
        .out_v(v5), .out_re(r5), .out_im(i5), .out_u(u5));
    fft64_stage #(.D(1), .W_IN(W5), .W_OUT(W6), .SC(SCALE[5]), .BF2II(1'b1)) st5 (
        .clk, .rst, .ce, .in_v(v5), .in_re(r5), .in_im(i5), .in_u(u5),
        .out_v(v6), .out_re(r6), .out_im(i6), .out_u(u6));

    // ---- saturate to OUT_W (sign-extend when wider), swap back for the IFFT
    localparam int XW = (W6 > OUT_W ? W6 : OUT_W) + 1;
    function automatic logic signed [OUT_W-1:0] sat(input logic signed [W6-1:0] v);
        logic signed [XW-1:0] x, hi, lo;
        x  = XW'(v);
        hi = XW'((64'sd1 <<< (OUT_W - 1)) - 64'sd1);
        lo = -hi - XW'(1);
        // (no early `return`: Verilator's line coverage never counts such a branch)
        if (x > hi) sat = OUT_W'(hi);
        else if (x < lo) sat = OUT_W'(lo);
        else sat = OUT_W'(x);
    endfunction

    wire signed [OUT_W-1:0] o_re = sat(r6);
    wire signed [OUT_W-1:0] o_im = sat(i6);
    logic wr_ok;

    fft64_reorder #(.DW(2 * OUT_W)) rob (
        .clk, .rst, .in_v(v6), .in_d(u6 ? {o_re, o_im} : {o_im, o_re}), .in_u(u6), .wr_ok,
        .m_axis_tdata, .m_axis_tvalid, .m_axis_tready, .m_axis_tlast, .m_axis_tuser);

    assign ce = !v6 || wr_ok;
    assign s_axis_tready = ce;
endmodule
