// 802.11a subcarrier mapper (IEEE 802.11a-1999, 17.3.5.7, Tables 81-85),
// one subcarrier per clock.
//
// Input: the N_BPSC bits of one subcarrier in s_axis_tdata[5:0], b0 (first in
// time) at bit 0; s_axis_tuser = modulation (0 BPSK, 1 QPSK, 2 16-QAM,
// 3 64-QAM). Output: {Q, I}, each a signed W-bit Q2.(W-2) value equal to
// level * SCALE_x, where the per-axis bits (b0 first = MSB) are the Gray code of
// the level index and SCALE_x = round(K_MOD * 2^(W-2)) comes from the golden
// model (mesh_phy.mapper.fixed_scale), so the product is exact.
module qam_mapper #(
    parameter int          W          = 16,
    parameter logic [W-1:0] SCALE_BPSK = W'(16384),
    parameter logic [W-1:0] SCALE_QPSK = W'(11585),
    parameter logic [W-1:0] SCALE_16   = W'(5181),
    parameter logic [W-1:0] SCALE_64   = W'(2528)
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
            2'd0: begin li = level({b[0], 2'b00}, 1); lq = 5'sd0;                     scale = SCALE_BPSK; end
            2'd1: begin li = level({b[0], 2'b00}, 1); lq = level({b[1], 2'b00}, 1);   scale = SCALE_QPSK; end
            2'd2: begin li = level({b[0], b[1], 1'b0}, 2); lq = level({b[2], b[3], 1'b0}, 2); scale = SCALE_16; end
            default: begin li = level({b[0], b[1], b[2]}, 3); lq = level({b[3], b[4], b[5]}, 3); scale = SCALE_64; end
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
