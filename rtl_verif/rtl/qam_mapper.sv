// 802.11a subcarrier mapper (IEEE 802.11a-1999, 17.3.5.7, Tables 81-85),
// one subcarrier per clock.
//
// Input: the N_BPSC bits of one subcarrier in s_axis_tdata[5:0], b0 (first in
// time) at bit 0; s_axis_tuser = modulation (0 BPSK, 1 QPSK, 2 16-QAM,
// 3 64-QAM). Output: {Q, I}, each a signed W-bit Q2.(W-2) value equal to
// level * SCALE_x, where the per-axis bits (b0 first = MSB) are the Gray code of
// the level index and SCALE_x = round(K_MOD * 2^(W-2)) is the golden model's
// (mesh_phy.modulation.mapper.fixed_scale), so the product is exact: by
// default from a table generated from the model for W = 4..32 (the region
// below, with the tuser codes); the runner passes the same values explicitly.
module qam_mapper #(
    parameter int          W          = 16,
    parameter logic [W-1:0] SCALE_BPSK = W'(scale_bpsk(W)),
    parameter logic [W-1:0] SCALE_QPSK = W'(scale_qpsk(W)),
    parameter logic [W-1:0] SCALE_16   = W'(scale_16(W)),
    parameter logic [W-1:0] SCALE_64   = W'(scale_64(W))
) (
    input  logic         clk,
    input  logic         rst,
    input  logic [5:0]   s_axis_tdata,
    input  logic         s_axis_tvalid,
    output logic         s_axis_tready,
    input  logic         s_axis_tlast,
    input  logic [1:0]   s_axis_tuser,
    output logic [2*W-1:0] m_axis_tdata,
    output logic         m_axis_tvalid,
    input  logic         m_axis_tready,
    output logic         m_axis_tlast
);
    /* verilator coverage_off */ // constant functions: evaluated at elaboration only (parameter defaults)
    // BEGIN GENERATED qam_mapper_consts by `python -m rtl_verif.regs` from mesh_phy/modulation/mapper.py (MOD_CODE, fixed_scale) - do not edit
    // modulation codes on s_axis_tuser (mapper.MOD_CODE)
    localparam logic [1:0] MOD_BPSK = 2'd0;
    localparam logic [1:0] MOD_QPSK = 2'd1;
    localparam logic [1:0] MOD_16 = 2'd2;
    localparam logic [1:0] MOD_64 = 2'd3;
    // round(K_MOD * 2^(W-2)) for W = 4..32 (mapper.fixed_scale)
    function automatic [31:0] scale_bpsk(input integer w);
        begin
            scale_bpsk = 32'h0;
            case (w)
                4: scale_bpsk = 32'h00000004;
                5: scale_bpsk = 32'h00000008;
                6: scale_bpsk = 32'h00000010;
                7: scale_bpsk = 32'h00000020;
                8: scale_bpsk = 32'h00000040;
                9: scale_bpsk = 32'h00000080;
                10: scale_bpsk = 32'h00000100;
                11: scale_bpsk = 32'h00000200;
                12: scale_bpsk = 32'h00000400;
                13: scale_bpsk = 32'h00000800;
                14: scale_bpsk = 32'h00001000;
                15: scale_bpsk = 32'h00002000;
                16: scale_bpsk = 32'h00004000;
                17: scale_bpsk = 32'h00008000;
                18: scale_bpsk = 32'h00010000;
                19: scale_bpsk = 32'h00020000;
                20: scale_bpsk = 32'h00040000;
                21: scale_bpsk = 32'h00080000;
                22: scale_bpsk = 32'h00100000;
                23: scale_bpsk = 32'h00200000;
                24: scale_bpsk = 32'h00400000;
                25: scale_bpsk = 32'h00800000;
                26: scale_bpsk = 32'h01000000;
                27: scale_bpsk = 32'h02000000;
                28: scale_bpsk = 32'h04000000;
                29: scale_bpsk = 32'h08000000;
                30: scale_bpsk = 32'h10000000;
                31: scale_bpsk = 32'h20000000;
                32: scale_bpsk = 32'h40000000;
                default: ;
            endcase
        end
    endfunction
    function automatic [31:0] scale_qpsk(input integer w);
        begin
            scale_qpsk = 32'h0;
            case (w)
                4: scale_qpsk = 32'h00000003;
                5: scale_qpsk = 32'h00000006;
                6: scale_qpsk = 32'h0000000b;
                7: scale_qpsk = 32'h00000017;
                8: scale_qpsk = 32'h0000002d;
                9: scale_qpsk = 32'h0000005b;
                10: scale_qpsk = 32'h000000b5;
                11: scale_qpsk = 32'h0000016a;
                12: scale_qpsk = 32'h000002d4;
                13: scale_qpsk = 32'h000005a8;
                14: scale_qpsk = 32'h00000b50;
                15: scale_qpsk = 32'h000016a1;
                16: scale_qpsk = 32'h00002d41;
                17: scale_qpsk = 32'h00005a82;
                18: scale_qpsk = 32'h0000b505;
                19: scale_qpsk = 32'h00016a0a;
                20: scale_qpsk = 32'h0002d414;
                21: scale_qpsk = 32'h0005a828;
                22: scale_qpsk = 32'h000b504f;
                23: scale_qpsk = 32'h0016a09e;
                24: scale_qpsk = 32'h002d413d;
                25: scale_qpsk = 32'h005a827a;
                26: scale_qpsk = 32'h00b504f3;
                27: scale_qpsk = 32'h016a09e6;
                28: scale_qpsk = 32'h02d413cd;
                29: scale_qpsk = 32'h05a8279a;
                30: scale_qpsk = 32'h0b504f33;
                31: scale_qpsk = 32'h16a09e66;
                32: scale_qpsk = 32'h2d413ccd;
                default: ;
            endcase
        end
    endfunction
    function automatic [31:0] scale_16(input integer w);
        begin
            scale_16 = 32'h0;
            case (w)
                4: scale_16 = 32'h00000001;
                5: scale_16 = 32'h00000003;
                6: scale_16 = 32'h00000005;
                7: scale_16 = 32'h0000000a;
                8: scale_16 = 32'h00000014;
                9: scale_16 = 32'h00000028;
                10: scale_16 = 32'h00000051;
                11: scale_16 = 32'h000000a2;
                12: scale_16 = 32'h00000144;
                13: scale_16 = 32'h00000288;
                14: scale_16 = 32'h0000050f;
                15: scale_16 = 32'h00000a1f;
                16: scale_16 = 32'h0000143d;
                17: scale_16 = 32'h0000287a;
                18: scale_16 = 32'h000050f4;
                19: scale_16 = 32'h0000a1e9;
                20: scale_16 = 32'h000143d1;
                21: scale_16 = 32'h000287a2;
                22: scale_16 = 32'h00050f45;
                23: scale_16 = 32'h000a1e8a;
                24: scale_16 = 32'h00143d13;
                25: scale_16 = 32'h00287a27;
                26: scale_16 = 32'h0050f44e;
                27: scale_16 = 32'h00a1e89b;
                28: scale_16 = 32'h0143d136;
                29: scale_16 = 32'h0287a26c;
                30: scale_16 = 32'h050f44d9;
                31: scale_16 = 32'h0a1e89b1;
                32: scale_16 = 32'h143d1362;
                default: ;
            endcase
        end
    endfunction
    function automatic [31:0] scale_64(input integer w);
        begin
            scale_64 = 32'h0;
            case (w)
                4: scale_64 = 32'h00000001;
                5: scale_64 = 32'h00000001;
                6: scale_64 = 32'h00000002;
                7: scale_64 = 32'h00000005;
                8: scale_64 = 32'h0000000a;
                9: scale_64 = 32'h00000014;
                10: scale_64 = 32'h00000028;
                11: scale_64 = 32'h0000004f;
                12: scale_64 = 32'h0000009e;
                13: scale_64 = 32'h0000013c;
                14: scale_64 = 32'h00000278;
                15: scale_64 = 32'h000004f0;
                16: scale_64 = 32'h000009e0;
                17: scale_64 = 32'h000013c0;
                18: scale_64 = 32'h00002780;
                19: scale_64 = 32'h00004f01;
                20: scale_64 = 32'h00009e02;
                21: scale_64 = 32'h00013c03;
                22: scale_64 = 32'h00027807;
                23: scale_64 = 32'h0004f00e;
                24: scale_64 = 32'h0009e01b;
                25: scale_64 = 32'h0013c036;
                26: scale_64 = 32'h0027806d;
                27: scale_64 = 32'h004f00d9;
                28: scale_64 = 32'h009e01b3;
                29: scale_64 = 32'h013c0365;
                30: scale_64 = 32'h027806ca;
                31: scale_64 = 32'h04f00d94;
                32: scale_64 = 32'h09e01b28;
                default: ;
            endcase
        end
    endfunction
    // END GENERATED qam_mapper_consts
    /* verilator coverage_on */

    assign s_axis_tready = !m_axis_tvalid || m_axis_tready;

    // Gray bits g[n-1:0] (g[n-1] = first bit) to the odd level 2m - (2^n - 1).
    function automatic logic signed [4:0] level(input logic [2:0] g, input int n);
        logic [2:0] m;
        m[2] = g[2];
        m[1] = g[2] ^ g[1];
        m[0] = g[2] ^ g[1] ^ g[0];
        m = m >> (3 - n);
        return $signed({2'b00, m}) * 5'sd2 - $signed(5'((1 << n) - 1));
    endfunction

    wire [5:0] b = s_axis_tdata;
    logic signed [4:0] li, lq;
    logic [W-1:0]      scale;
    always @* begin
        case (s_axis_tuser)
            MOD_BPSK: begin li = level({b[0], 2'b00}, 1); lq = 5'sd0;                     scale = SCALE_BPSK; end
            MOD_QPSK: begin li = level({b[0], 2'b00}, 1); lq = level({b[1], 2'b00}, 1);   scale = SCALE_QPSK; end
            MOD_16: begin li = level({b[0], b[1], 1'b0}, 2); lq = level({b[2], b[3], 1'b0}, 2); scale = SCALE_16; end
            MOD_64: begin li = level({b[0], b[1], b[2]}, 3); lq = level({b[3], b[4], b[5]}, 3); scale = SCALE_64; end
        endcase
    end

    // |level| <= 7 and 7 * SCALE_64 < 2^(W-1), so the product fits W bits.
    wire signed [W-1:0] pi = W'(li * $signed({1'b0, scale}));
    wire signed [W-1:0] pq = W'(lq * $signed({1'b0, scale}));

    always_ff @(posedge clk) begin
        if (rst) begin
            m_axis_tvalid <= 1'b0;
            m_axis_tdata  <= '0;
            m_axis_tlast  <= 1'b0;
        end else if (s_axis_tready) begin
            m_axis_tvalid <= s_axis_tvalid;
            if (s_axis_tvalid) begin
                m_axis_tdata <= {pq, pi};
                m_axis_tlast <= s_axis_tlast;
            end
        end
    end
endmodule
