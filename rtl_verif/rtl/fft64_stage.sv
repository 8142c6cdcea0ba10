// One radix-2 single-path delay feedback (SDF) butterfly stage of fft64,
// bit-exact with mesh_phy/ofdm/fft_fixed.py (see its docstring).
//
// Span D: in each 2D-block of valid samples, the first D go into the delay
// line while the line's previous content (the last block's differences)
// leaves; the next D meet their partners at the line's head: the sum leaves,
// the difference enters the line. BF2II = 1: in odd blocks the second operand
// is multiplied by -j first. SC = 1: sums and differences are halved with
// convergent rounding (round half to even).
//
// Bubbles (in_v = 0): inside a block the stage holds (the line does not
// move); at a block boundary the line moves anyway, pushing out the pending
// differences and taking a bubble in, so the last frame of a stream leaves
// without more input. Pairing stays right because only differences and
// bubbles are in the line at a boundary. Everything moves only when ce = 1.
module fft64_stage #(
    parameter int D     = 32,
    parameter int W_IN  = 16,
    parameter int W_OUT = 17,   // >= W_IN + 1 - SC (the top level may add a guard bit)
    parameter bit SC    = 1'b1,
    parameter bit BF2II = 1'b0
) (
    input  logic                    clk,
    input  logic                    rst,
    input  logic                    ce,
    input  logic                    in_v,
    input  logic signed [W_IN-1:0]  in_re,
    input  logic signed [W_IN-1:0]  in_im,
    input  logic                    in_u,    // frame direction (1 = IFFT), travels with the sample
    output logic                    out_v,
    output logic signed [W_OUT-1:0] out_re,
    output logic signed [W_OUT-1:0] out_im,
    output logic                    out_u
);
    localparam int CW = $clog2(2 * D);     // block position counter, mod 2D
    localparam int WB = W_IN + 1;           // exact butterfly width

    logic [CW-1:0]           cnt;
    logic                    odd;           // block parity (BF2II only)
    logic                    lv [D];
    logic signed [W_OUT-1:0] lre [D];
    logic signed [W_OUT-1:0] lim [D];
    logic                    lu [D];

    wire second = cnt[CW-1];

    wire signed [WB-1:0] a_re = WB'(lre[D-1]);  // first-half inputs: within W_IN bits
    wire signed [WB-1:0] a_im = WB'(lim[D-1]);
    wire signed [WB-1:0] b_re = WB'(in_re);
    wire signed [WB-1:0] b_im = WB'(in_im);
    // Second operand: b, or -j·(br + j·bi) = bi - j·br in odd blocks of a BF2II
    // stage. Chosen at elaboration, so a stage without BF2II has no branch
    // that can never be taken (-br fits WB bits: b is sign-extended by one).
    logic signed [WB-1:0] c_re, c_im;
    if (BF2II) begin : g_bf2ii
        wire jb = odd && second;    // multiply b by -j
        assign c_re = jb ? b_im : b_re;
        assign c_im = jb ? -b_re : b_im;
    end else begin : g_bf2i
        assign c_re = b_re;
        assign c_im = b_im;
    end
    wire signed [WB-1:0] s_re = a_re + c_re;
    wire signed [WB-1:0] s_im = a_im + c_im;
    wire signed [WB-1:0] d_re = a_re - c_re;
    wire signed [WB-1:0] d_im = a_im - c_im;

    // SC: halve with round half to even, (v >> 1) + (v[0] & v[1]); then size to
    // W_OUT. Written without a branch on the parameter (v >>> 0 = v).
    function automatic logic signed [W_OUT-1:0] scl(input logic signed [WB-1:0] v);
        logic up;
        up = SC && v[0] && v[1];
        return W_OUT'((v >>> SC) + $signed(WB'(up)));  // keep it signed: >>> is arithmetic
    endfunction

    wire boundary = (cnt == '0);
    wire shift    = second ? in_v : (in_v || boundary);

    always @(posedge clk) begin
        if (rst) begin
            cnt   <= '0;
            odd   <= 1'b0;
            out_v <= 1'b0;
            out_re <= '0;
            out_im <= '0;
            out_u <= 1'b0;
            for (int i = 0; i < D; i++) begin
                lv[i]  <= 1'b0;
                lre[i] <= '0;
                lim[i] <= '0;
                lu[i]  <= 1'b0;
            end
        end else if (ce) begin
            if (in_v) begin
                cnt <= cnt + 1'b1;
                if (cnt == CW'(2 * D - 1)) odd <= ~odd;
            end
            if (shift) begin
                for (int i = D - 1; i > 0; i--) begin
                    lv[i]  <= lv[i-1];
                    lre[i] <= lre[i-1];
                    lim[i] <= lim[i-1];
                    lu[i]  <= lu[i-1];
                end
            end
            if (!second) begin
                // first half (or a boundary bubble): the line's head leaves
                out_v  <= shift && lv[D-1];
                out_re <= lre[D-1];
                out_im <= lim[D-1];
                out_u  <= lu[D-1];
                if (shift) begin
                    lv[0]  <= in_v;
                    lre[0] <= W_OUT'(in_re);
                    lim[0] <= W_OUT'(in_im);
                    lu[0]  <= in_u;
                end
            end else begin
                out_v  <= in_v;
                out_re <= scl(s_re);
                out_im <= scl(s_im);
                out_u  <= in_u;
                if (in_v) begin
                    lv[0]  <= 1'b1;
                    lre[0] <= scl(d_re);
                    lim[0] <= scl(d_im);
                    lu[0]  <= in_u;
                end
            end
        end
    end
endmodule
