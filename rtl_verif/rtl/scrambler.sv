// 802.11a frame-synchronous scrambler, S(x) = x^7 + x^4 + 1 (IEEE 802.11a-1999, 17.3.5.4).
//
// AXI4-Stream in and out, DATA_W bits per beat, bit 0 of a beat first in time.
// The seed (x7..x1, x7 = MSB, same order as mesh_phy.scrambler) is taken from
// s_axis_tuser on the first beat of every frame, so frames are independent.
// A seed of 0 would lock the LFSR at zero; the golden model refuses it, so the
// hardware does not spend logic on it.
// One output register: full throughput, s_axis_tready = !m_axis_tvalid || m_axis_tready.
module scrambler #(
    parameter int DATA_W = 8
) (
    input  logic              clk,
    input  logic              rst,
    input  logic [DATA_W-1:0] s_axis_tdata,
    input  logic              s_axis_tvalid,
    output logic              s_axis_tready,
    input  logic              s_axis_tlast,
    input  logic [6:0]        s_axis_tuser,
    output logic [DATA_W-1:0] m_axis_tdata,
    output logic              m_axis_tvalid,
    input  logic              m_axis_tready,
    output logic              m_axis_tlast
);
    logic [6:0] state;
    logic       first;  // next accepted beat opens a frame

    assign s_axis_tready = !m_axis_tvalid || m_axis_tready;

    // Step the LFSR once per data bit; all DATA_W steps in one clock.
    logic [6:0]        st_next;
    logic [DATA_W-1:0] out_next;
    always @* begin
        logic fb;
        st_next = first ? s_axis_tuser : state;
        for (int b = 0; b < DATA_W; b++) begin
            fb          = st_next[6] ^ st_next[3];
            out_next[b] = s_axis_tdata[b] ^ fb;
            st_next     = {st_next[5:0], fb};
        end
    end

    always_ff @(posedge clk) begin
        if (rst) begin
            state         <= 7'd0;
            first         <= 1'b1;
            m_axis_tvalid <= 1'b0;
            m_axis_tdata  <= '0;
            m_axis_tlast  <= 1'b0;
        end else if (s_axis_tready) begin
            m_axis_tvalid <= s_axis_tvalid;
            if (s_axis_tvalid) begin
                m_axis_tdata <= out_next;
                m_axis_tlast <= s_axis_tlast;
                state        <= st_next;
                first        <= s_axis_tlast;
            end
        end
    end
endmodule
