// K = 7 convolutional encoder, g0 = 133 (A), g1 = 171 (B) octal, with the
// 802.11a puncturing of 17.3.5.5 (IEEE 802.11a-1999), one input bit per clock.
//
// Input: one data bit per beat; s_axis_tuser selects the code rate on the
// first beat of a frame (0 = 1/2, 1 = 2/3, 2 = 3/4); every frame starts from
// the all-zero state. Output: two 1-bit lanes, lane 0 = A, lane 1 = B, with
// m_axis_tkeep marking the lanes that survive puncturing (a stolen bit is a
// null lane), so an AXI-Stream sink reads the punctured stream in order:
//   1/2: 11 11 ...   2/3: 11 01 | ...   3/4: 11 01 10 | ...
module conv_enc #(
    parameter logic [6:0] G0 = 7'o133,
    parameter logic [6:0] G1 = 7'o171
) (
    input  logic       clk,
    input  logic       rst,
    input  logic       s_axis_tdata,
    input  logic       s_axis_tvalid,
    output logic       s_axis_tready,
    input  logic       s_axis_tlast,
    input  logic [1:0] s_axis_tuser,
    output logic [1:0] m_axis_tdata,
    output logic [1:0] m_axis_tkeep,
    output logic       m_axis_tvalid,
    input  logic       m_axis_tready,
    output logic       m_axis_tlast
);
    // BEGIN GENERATED conv_enc_consts by `python -m rtl_verif.regs` from mesh_phy/coding/conv.py (PUNCTURE order) - do not edit
    // coding-rate codes on s_axis_tuser (the order of mesh_phy.coding.conv.PUNCTURE)
    localparam logic [1:0] RATE_1_2 = 2'd0;
    localparam logic [1:0] RATE_2_3 = 2'd1;
    localparam logic [1:0] RATE_3_4 = 2'd2;
    // END GENERATED conv_enc_consts

    logic [5:0] sr;      // sr[5] = previous input (delay 1) ... sr[0] = delay 6
    logic [1:0] rate;    // rate of the current frame
    logic [1:0] phase;   // position inside the puncturing period
    logic       first;

    assign s_axis_tready = !m_axis_tvalid || m_axis_tready;

    // Window: bit 6 = current input (delay 0) ... bit 0 = delay 6, matching the
    // octal generators whose MSB taps the current input.
    wire [5:0] sr_cur   = first ? 6'd0 : sr;
    wire [1:0] rate_cur = first ? s_axis_tuser : rate;
    wire [1:0] ph_cur   = first ? 2'd0 : phase;
    wire [6:0] win      = {s_axis_tdata, sr_cur};
    wire       bit_a    = ^(win & G0);
    wire       bit_b    = ^(win & G1);

    logic [1:0] keep;
    logic [1:0] ph_next;
    always @* begin
        keep    = 2'b11;
        ph_next = 2'd0;
        case (rate_cur)
            RATE_1_2: ;      // nothing punctured: keep A0 B0
            RATE_2_3: begin  // keep A0 B0 A1
                keep    = (ph_cur == 2'd1) ? 2'b01 : 2'b11;
                ph_next = (ph_cur == 2'd1) ? 2'd0 : 2'd1;
            end
            RATE_3_4: begin  // keep A0 B0 A1 B2
                keep    = (ph_cur == 2'd1) ? 2'b01 : (ph_cur == 2'd2) ? 2'b10 : 2'b11;
                ph_next = (ph_cur == 2'd2) ? 2'd0 : ph_cur + 2'd1;
            end
            /* verilator coverage_off */ // defensive default: code 3 is no rate (three codes above); acts as 1/2
            default: ;
            /* verilator coverage_on */
        endcase
    end

    always_ff @(posedge clk) begin
        if (rst) begin
            sr            <= 6'd0;
            rate          <= 2'd0;
            phase         <= 2'd0;
            first         <= 1'b1;
            m_axis_tvalid <= 1'b0;
            m_axis_tdata  <= 2'd0;
            m_axis_tkeep  <= 2'd0;
            m_axis_tlast  <= 1'b0;
        end else if (s_axis_tready) begin
            m_axis_tvalid <= s_axis_tvalid;
            if (s_axis_tvalid) begin
                m_axis_tdata <= {bit_b, bit_a};
                m_axis_tkeep <= keep;
                m_axis_tlast <= s_axis_tlast;
                sr           <= win[6:1];
                rate         <= rate_cur;
                phase        <= ph_next;
                first        <= s_axis_tlast;
            end
        end
    end
endmodule
