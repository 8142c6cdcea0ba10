// Twiddle multiplier of fft64 (after stages 1 and 3), bit-exact with
// mesh_phy/ofdm/fft_fixed.py.
//
// The p-th valid sample of each BLK-sample block (p counted here, mod BLK)
// is multiplied by W64^e, e = (64/BLK)·r(q)·i with q = p[top two bits],
// i = p[the rest], r = 0, 2, 1, 3 for q = 0..3 (radix-2² DIF). Four real
// multipliers; each part is rounded to even at TW_W-2 fraction bits and kept
// in W bits (the magnitude bound of fft_fixed.py guarantees it fits).
// TW holds W64^k for k = 0..63, {im, re} of TW_W bits each, k = 0 in the low
// bits: the golden model's (fft_fixed.params), computed here for any TW_W the
// model accepts (4..24) from tables generated from it (the region below;
// rtl_verif/regs/consts.py checks every twiddle of every TW_W against the
// model). One register.
module fft64_twiddle #(
    parameter int W    = 18,
    parameter int TW_W = 16,
    parameter int BLK  = 64,                 // 64 (after stage 1) or 16 (after stage 3)
    parameter logic [64*2*TW_W-1:0] TW = twiddle_table(TW_W)
) (
    input  logic                clk,
    input  logic                rst,
    input  logic                ce,
    input  logic                in_v,
    input  logic signed [W-1:0] in_re,
    input  logic signed [W-1:0] in_im,
    input  logic                in_u,
    output logic                out_v,
    output logic signed [W-1:0] out_re,
    output logic signed [W-1:0] out_im,
    output logic                out_u
);
    /* verilator coverage_off */ // constant functions: evaluated at elaboration only (parameter defaults)
    // BEGIN GENERATED fft64_twiddles by `python -m rtl_verif.regs` from mesh_phy/ofdm/fft_fixed.py (twiddles) - do not edit
    // cos(2pi k/64) and -sin(2pi k/64) as the doubles fft_fixed rounds, k = 0..63: exact, signed,
    // TWB fraction bits (110-bit two's complement)
    localparam int TWB = 108;
    function automatic [109:0] tw_cos(input integer k);
        begin
            tw_cos = 110'h0;
            case (k)
                0: tw_cos = 110'h1000000000000000000000000000;
                1: tw_cos = 110'h0fec46d1e8929300000000000000;
                2: tw_cos = 110'h0fb14be7fbae5800000000000000;
                3: tw_cos = 110'h0f4fa0ab6316ed00000000000000;
                4: tw_cos = 110'h0ec835e79946a300000000000000;
                5: tw_cos = 110'h0e1c5978c05ed880000000000000;
                6: tw_cos = 110'h0d4db3148750d180000000000000;
                7: tw_cos = 110'h0c5e40358a8ba080000000000000;
                8: tw_cos = 110'h0b504f333f9de680000000000000;
                9: tw_cos = 110'h0a267992848eeb00000000000000;
                10: tw_cos = 110'h08e39d9cd7346480000000000000;
                11: tw_cos = 110'h078ad74e01bd8f80000000000000;
                12: tw_cos = 110'h061f78a9abaa5900000000000000;
                13: tw_cos = 110'h04a5018bb567c140000000000000;
                14: tw_cos = 110'h031f17078d34c1a0000000000000;
                15: tw_cos = 110'h01917a6bc29b4380000000000000;
                16: tw_cos = 110'h00000000000000469898cc51701c;
                17: tw_cos = 110'h3e6e85943d64bd10000000000000;
                18: tw_cos = 110'h3ce0e8f872cb3f00000000000000;
                19: tw_cos = 110'h3b5afe744a983f80000000000000;
                20: tw_cos = 110'h39e087565455a780000000000000;
                21: tw_cos = 110'h387528b1fe427100000000000000;
                22: tw_cos = 110'h371c626328cb9d00000000000000;
                23: tw_cos = 110'h35d9866d7b711580000000000000;
                24: tw_cos = 110'h34afb0ccc0621a00000000000000;
                25: tw_cos = 110'h33a1bfca75745f80000000000000;
                26: tw_cos = 110'h32b24ceb78af2e00000000000000;
                27: tw_cos = 110'h31e3a6873fa12800000000000000;
                28: tw_cos = 110'h3137ca1866b95d00000000000000;
                29: tw_cos = 110'h30b05f549ce91300000000000000;
                30: tw_cos = 110'h304eb4180451a800000000000000;
                31: tw_cos = 110'h3013b92e176d6d80000000000000;
                32: tw_cos = 110'h3000000000000000000000000000;
                33: tw_cos = 110'h3013b92e176d6d00000000000000;
                34: tw_cos = 110'h304eb4180451a800000000000000;
                35: tw_cos = 110'h30b05f549ce91280000000000000;
                36: tw_cos = 110'h3137ca1866b95c80000000000000;
                37: tw_cos = 110'h31e3a6873fa12780000000000000;
                38: tw_cos = 110'h32b24ceb78af2d80000000000000;
                39: tw_cos = 110'h33a1bfca75745f00000000000000;
                40: tw_cos = 110'h34afb0ccc0621900000000000000;
                41: tw_cos = 110'h35d9866d7b711300000000000000;
                42: tw_cos = 110'h371c626328cb9c00000000000000;
                43: tw_cos = 110'h387528b1fe427040000000000000;
                44: tw_cos = 110'h39e087565455a4c0000000000000;
                45: tw_cos = 110'h3b5afe744a983e40000000000000;
                46: tw_cos = 110'h3ce0e8f872cb3ce0000000000000;
                47: tw_cos = 110'h3e6e85943d64bdf0000000000000;
                48: tw_cos = 110'h3fffffffffffff2c36359b0bafb0;
                49: tw_cos = 110'h01917a6bc29b4070000000000000;
                50: tw_cos = 110'h031f17078d34c180000000000000;
                51: tw_cos = 110'h04a5018bb567c000000000000000;
                52: tw_cos = 110'h061f78a9abaa59c0000000000000;
                53: tw_cos = 110'h078ad74e01bd8e80000000000000;
                54: tw_cos = 110'h08e39d9cd7346280000000000000;
                55: tw_cos = 110'h0a267992848eeb80000000000000;
                56: tw_cos = 110'h0b504f333f9de580000000000000;
                57: tw_cos = 110'h0c5e40358a8b9f00000000000000;
                58: tw_cos = 110'h0d4db3148750d180000000000000;
                59: tw_cos = 110'h0e1c5978c05ed780000000000000;
                60: tw_cos = 110'h0ec835e79946a200000000000000;
                61: tw_cos = 110'h0f4fa0ab6316ed00000000000000;
                62: tw_cos = 110'h0fb14be7fbae5780000000000000;
                63: tw_cos = 110'h0fec46d1e8929300000000000000;
                default: ;
            endcase
        end
    endfunction
    function automatic [109:0] tw_nsin(input integer k);
        begin
            tw_nsin = 110'h0;
            case (k)
                0: tw_nsin = 110'h0000000000000000000000000000;
                1: tw_nsin = 110'h3e6e85943d64bd40000000000000;
                2: tw_nsin = 110'h3ce0e8f872cb3ec0000000000000;
                3: tw_nsin = 110'h3b5afe744a983ec0000000000000;
                4: tw_nsin = 110'h39e087565455a740000000000000;
                5: tw_nsin = 110'h387528b1fe427140000000000000;
                6: tw_nsin = 110'h371c626328cb9c00000000000000;
                7: tw_nsin = 110'h35d9866d7b711500000000000000;
                8: tw_nsin = 110'h34afb0ccc0621a00000000000000;
                9: tw_nsin = 110'h33a1bfca75745f80000000000000;
                10: tw_nsin = 110'h32b24ceb78af2e80000000000000;
                11: tw_nsin = 110'h31e3a6873fa12800000000000000;
                12: tw_nsin = 110'h3137ca1866b95d00000000000000;
                13: tw_nsin = 110'h30b05f549ce91280000000000000;
                14: tw_nsin = 110'h304eb4180451a800000000000000;
                15: tw_nsin = 110'h3013b92e176d6d80000000000000;
                16: tw_nsin = 110'h3000000000000000000000000000;
                17: tw_nsin = 110'h3013b92e176d6d00000000000000;
                18: tw_nsin = 110'h304eb4180451a800000000000000;
                19: tw_nsin = 110'h30b05f549ce91280000000000000;
                20: tw_nsin = 110'h3137ca1866b95d00000000000000;
                21: tw_nsin = 110'h31e3a6873fa12780000000000000;
                22: tw_nsin = 110'h32b24ceb78af2d80000000000000;
                23: tw_nsin = 110'h33a1bfca75745f00000000000000;
                24: tw_nsin = 110'h34afb0ccc0621980000000000000;
                25: tw_nsin = 110'h35d9866d7b711500000000000000;
                26: tw_nsin = 110'h371c626328cb9c00000000000000;
                27: tw_nsin = 110'h387528b1fe427040000000000000;
                28: tw_nsin = 110'h39e087565455a6c0000000000000;
                29: tw_nsin = 110'h3b5afe744a983e80000000000000;
                30: tw_nsin = 110'h3ce0e8f872cb3d20000000000000;
                31: tw_nsin = 110'h3e6e85943d64bc40000000000000;
                32: tw_nsin = 110'h3fffffffffffff72cece675d1fc8;
                33: tw_nsin = 110'h01917a6bc29b42b0000000000000;
                34: tw_nsin = 110'h031f17078d34c1c0000000000000;
                35: tw_nsin = 110'h04a5018bb567c040000000000000;
                36: tw_nsin = 110'h061f78a9abaa5840000000000000;
                37: tw_nsin = 110'h078ad74e01bd8ec0000000000000;
                38: tw_nsin = 110'h08e39d9cd7346300000000000000;
                39: tw_nsin = 110'h0a267992848eea00000000000000;
                40: tw_nsin = 110'h0b504f333f9de600000000000000;
                41: tw_nsin = 110'h0c5e40358a8b9f00000000000000;
                42: tw_nsin = 110'h0d4db3148750d180000000000000;
                43: tw_nsin = 110'h0e1c5978c05ed800000000000000;
                44: tw_nsin = 110'h0ec835e79946a200000000000000;
                45: tw_nsin = 110'h0f4fa0ab6316ed00000000000000;
                46: tw_nsin = 110'h0fb14be7fbae5780000000000000;
                47: tw_nsin = 110'h0fec46d1e8929300000000000000;
                48: tw_nsin = 110'h1000000000000000000000000000;
                49: tw_nsin = 110'h0fec46d1e8929300000000000000;
                50: tw_nsin = 110'h0fb14be7fbae5800000000000000;
                51: tw_nsin = 110'h0f4fa0ab6316ed80000000000000;
                52: tw_nsin = 110'h0ec835e79946a280000000000000;
                53: tw_nsin = 110'h0e1c5978c05ed880000000000000;
                54: tw_nsin = 110'h0d4db3148750d280000000000000;
                55: tw_nsin = 110'h0c5e40358a8ba000000000000000;
                56: tw_nsin = 110'h0b504f333f9de700000000000000;
                57: tw_nsin = 110'h0a267992848eed00000000000000;
                58: tw_nsin = 110'h08e39d9cd7346400000000000000;
                59: tw_nsin = 110'h078ad74e01bd9000000000000000;
                60: tw_nsin = 110'h061f78a9abaa5b80000000000000;
                61: tw_nsin = 110'h04a5018bb567c200000000000000;
                62: tw_nsin = 110'h031f17078d34c360000000000000;
                63: tw_nsin = 110'h01917a6bc29b4250000000000000;
                default: ;
            endcase
        end
    endfunction
    // END GENERATED fft64_twiddles

    // v (TWB fraction bits) rounded half up to tw_w - 2 fraction bits: floor(v * 2^(tw_w-2) + 1/2)
    function automatic [TW_W-1:0] tw_round(input [TWB+1:0] v, input integer tw_w);
        reg signed [TWB+1:0] s;
        begin
            s = v;
            s = s + ((TWB+2)'(1) <<< (TWB + 1 - tw_w));
            tw_round = TW_W'(s >>> (TWB + 2 - tw_w));
        end
    endfunction

    // W64^k, k = 0..63, {im, re} of tw_w bits each, k = 0 in the low bits
    function automatic [64*2*TW_W-1:0] twiddle_table(input integer tw_w);
        integer k;
        begin
            twiddle_table = '0;
            for (k = 0; k < 64; k = k + 1) begin
                twiddle_table[2*k*TW_W +: TW_W] = tw_round(tw_cos(k), tw_w);
                twiddle_table[(2*k+1)*TW_W +: TW_W] = tw_round(tw_nsin(k), tw_w);
            end
        end
    endfunction
    /* verilator coverage_on */

    localparam int PB = $clog2(BLK);
    localparam int F  = TW_W - 2;            // twiddle fraction bits
    localparam int PW = W + TW_W + 1;        // exact a·c - b·s

    logic [PB-1:0] pos;
    wire  [1:0]    q = pos[PB-1:PB-2];
    wire  [1:0]    r = {q[0], q[1]};           // 0, 2, 1, 3
    wire  [PB-3:0] i = pos[PB-3:0];
    wire  [5:0]    e = 6'(6'(r) * 6'(i)) << (6 - PB);  // exponent of W64, at most 45

    wire signed [TW_W-1:0] c = TW[e*2*TW_W +: TW_W];
    wire signed [TW_W-1:0] s = TW[e*2*TW_W + TW_W +: TW_W];

    wire signed [PW-1:0] pr = PW'(in_re) * PW'(c) - PW'(in_im) * PW'(s);
    wire signed [PW-1:0] pi = PW'(in_re) * PW'(s) + PW'(in_im) * PW'(c);

    // v / 2^F, round half to even
    function automatic logic signed [W-1:0] rnd(input logic signed [PW-1:0] v);
        logic signed [PW-1:0] t;
        logic                 up;
        t = v >>> F;
        up = v[F-1] && ((v[F-2:0] != '0) || t[0]);
        return W'(t + PW'(up));
    endfunction

    always @(posedge clk) begin
        if (rst) begin
            pos    <= '0;
            out_v  <= 1'b0;
            out_re <= '0;
            out_im <= '0;
            out_u  <= 1'b0;
        end else if (ce) begin
            if (in_v) pos <= pos + 1'b1;
            out_v  <= in_v;
            out_re <= rnd(pr);
            out_im <= rnd(pi);
            out_u  <= in_u;
        end
    end
endmodule
