// Frame check sequence inserter: IEEE 802.3 CRC-32 (reflected poly 0xEDB88320,
// init and final XOR 0xFFFFFFFF), the same value as mesh_phy.crc.crc32.
//
// Byte stream in, the same bytes out followed by the 4 FCS bytes, least
// significant byte first (802.3 / 802.11 order). While the FCS goes out the
// input is held off, so one frame takes len + 4 clocks at full rate.
module crc32 (
    input  logic       clk,
    input  logic       rst,
    input  logic [7:0] s_axis_tdata,
    input  logic       s_axis_tvalid,
    output logic       s_axis_tready,
    input  logic       s_axis_tlast,
    output logic [7:0] m_axis_tdata,
    output logic       m_axis_tvalid,
    input  logic       m_axis_tready,
    output logic       m_axis_tlast
);
    localparam logic [31:0] POLY = 32'hEDB88320;

    function automatic logic [31:0] crc_byte(input logic [31:0] c_in, input logic [7:0] d);
        logic [31:0] c;
        c = c_in ^ {24'd0, d};
        for (int i = 0; i < 8; i++) c = c[0] ? ((c >> 1) ^ POLY) : (c >> 1);
        return c;
    endfunction

    logic [31:0] crc;       // running register, pre-inverted
    logic [31:0] fcs;       // FCS of the frame being closed
    logic        in_fcs;    // sending the 4 FCS bytes
    logic [1:0]  fcs_idx;   // which FCS byte goes next

    wire out_free = !m_axis_tvalid || m_axis_tready;
    assign s_axis_tready = out_free && !in_fcs;

    wire [31:0] crc_next = crc_byte(crc, s_axis_tdata);

    always_ff @(posedge clk) begin
        if (rst) begin
            crc           <= 32'hFFFFFFFF;
            fcs           <= 32'd0;
            in_fcs        <= 1'b0;
            fcs_idx       <= 2'd0;
            m_axis_tvalid <= 1'b0;
            m_axis_tdata  <= 8'd0;
            m_axis_tlast  <= 1'b0;
        end else if (out_free) begin
            if (in_fcs) begin
                m_axis_tdata  <= fcs[8*fcs_idx +: 8];
                m_axis_tvalid <= 1'b1;
                m_axis_tlast  <= (fcs_idx == 2'd3);
                fcs_idx       <= fcs_idx + 2'd1;
                if (fcs_idx == 2'd3) in_fcs <= 1'b0;
            end else begin
                m_axis_tvalid <= s_axis_tvalid;
                if (s_axis_tvalid) begin
                    m_axis_tdata <= s_axis_tdata;
                    m_axis_tlast <= 1'b0;
                    if (s_axis_tlast) begin
                        fcs     <= ~crc_next;
                        crc     <= 32'hFFFFFFFF;
                        in_fcs  <= 1'b1;
                        fcs_idx <= 2'd0;
                    end else begin
                        crc <= crc_next;
                    end
                end
            end
        end
    end
endmodule
